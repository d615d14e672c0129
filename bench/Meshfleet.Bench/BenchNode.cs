using System.Globalization;
using System.Net;
using System.Net.Sockets;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench;

/// <summary>A meshfleet process under measurement, on a temporary store.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private BenchNode(McpClient client, TaskCompletionSource listening)
    {
        Client = client;
        Listening = listening.Task;
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    public static double Percentile(List<double> sorted, double p) => sorted[Math.Min(sorted.Count - 1, (int)Math.Ceiling(p / 100 * sorted.Count) - 1)];

    public ValueTask DisposeAsync() => Client.DisposeAsync();
}
