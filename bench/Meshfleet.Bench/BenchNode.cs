using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench;

/// <summary>A meshfleet process under measurement, on a temporary store.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private readonly Process? _serve;

    private BenchNode(McpClient client, TaskCompletionSource listening, Process? serve = null)
    {
        Client = client;
        Listening = listening.Task;
        _serve = serve;
    }

    public McpClient Client { get; }

    public Task Listening { get; }

    public static async Task<BenchNode> StartAsync(string binary, string database, int port)
    {
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = binary,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                ["MESHFLEET_DB"] = database,
                ["MESHFLEET_SSE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["MESHFLEET_LOG_LEVEL"] = "information",
            },
            StandardErrorLines = line =>
            {
                if (line.Contains("SSE listening", StringComparison.Ordinal))
                {
                    listening.TrySetResult();
                }
            },
        });
        McpClient client = await McpClient.CreateAsync(transport);
        return new BenchNode(client, listening);
    }

    /// <summary>Starts <c>meshfleet serve</c> and connects over Streamable HTTP, with a bearer token when given.</summary>
    public static async Task<BenchNode> StartServeAsync(string binary, string database, int port, string? token)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.Environment["MESHFLEET_DB"] = database;
        info.Environment["MESHFLEET_SSE_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        if (token is not null)
        {
            info.Environment["MESHFLEET_TOKEN"] = token;
        }

        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Process process = Process.Start(info)!;
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("SSE listening", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        await listening.Task;
        var headers = new Dictionary<string, string>();
        if (token is not null)
        {
            headers["Authorization"] = "Bearer " + token;
        }

        McpClient client = await McpClient.CreateAsync(new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri($"http://127.0.0.1:{port}/mcp"),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        }));
        return new BenchNode(client, listening, process);
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];

    public async ValueTask DisposeAsync()
    {
        await Client.DisposeAsync();
        if (_serve is not null)
        {
            _serve.Kill();
            await _serve.WaitForExitAsync();
            _serve.Dispose();
        }
    }
}
