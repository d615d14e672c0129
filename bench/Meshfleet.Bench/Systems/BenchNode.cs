using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Systems;

/// <summary>A meshfleet process under measurement, on a temporary store.</summary>
internal sealed class BenchNode : IAsyncDisposable
{
    private readonly Process? _serve;

    private readonly ListeningSignal _listening;

    private BenchNode(McpClient client, ListeningSignal listening, int port, Process? serve = null)
    {
        Client = client;
        _listening = listening;
        Port = port;
        _serve = serve;
    }

    public McpClient Client { get; }

    /// <summary>Completes when this process holds the HTTP port (it is the mesh's push hub).</summary>
    public Task Listening => _listening.Task;

    /// <summary>When this process logged that it holds the HTTP port (<see cref="Stopwatch"/> timestamp; 0 if not yet).</summary>
    public long ListeningAt => _listening.At;

    public int Port { get; }

    /// <summary>Starts <c>meshfleet</c> as an MCP client spawns it: MCP over stdio, and the HTTP listener when the port is free.</summary>
    public static async Task<BenchNode> StartAsync(string binary, string database, int port, CancellationToken cancellationToken = default)
    {
        var listening = new ListeningSignal();
        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = binary,
            EnvironmentVariables = new Dictionary<string, string?>
            {
                ["MESHFLEET_DB"] = database,
                ["MESHFLEET_SSE_PORT"] = port.ToString(CultureInfo.InvariantCulture),
                ["MESHFLEET_LOG_LEVEL"] = "information",
            },
            StandardErrorLines = listening.Observe,
        });
        McpClient client = await McpClient.CreateAsync(transport, cancellationToken: cancellationToken);
        return new BenchNode(client, listening, port);
    }

    /// <summary>
    /// Starts <c>meshfleet serve</c> and connects over Streamable HTTP, with a bearer token when given.
    /// <paramref name="environment"/> adds settings (MESHFLEET_*) for this process.
    /// </summary>
    public static async Task<BenchNode> StartServeAsync(
        string binary,
        string database,
        int port,
        string? token,
        IReadOnlyDictionary<string, string>? environment = null,
        CancellationToken cancellationToken = default)
    {
        var info = new ProcessStartInfo(binary) { RedirectStandardError = true, RedirectStandardOutput = true, UseShellExecute = false };
        info.ArgumentList.Add("serve");
        info.Environment["MESHFLEET_DB"] = database;
        info.Environment["MESHFLEET_SSE_PORT"] = port.ToString(CultureInfo.InvariantCulture);
        if (token is not null)
        {
            info.Environment["MESHFLEET_TOKEN"] = token;
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var listening = new ListeningSignal();
        Process process = Process.Start(info)!;
        process.ErrorDataReceived += (_, e) => listening.Observe(e.Data);
        process.OutputDataReceived += (_, _) => { };
        process.BeginErrorReadLine();
        process.BeginOutputReadLine();
        try
        {
            await listening.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            McpClient client = await ConnectHttpClientAsync(port, token, cancellationToken);
            return new BenchNode(client, listening, port, process);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }
    }

    /// <summary>A new MCP client over Streamable HTTP to <c>meshfleet serve</c> on <paramref name="port"/>.</summary>
    public static async Task<McpClient> ConnectHttpClientAsync(int port, string? token, CancellationToken cancellationToken)
    {
        var headers = new Dictionary<string, string>();
        if (token is not null)
        {
            headers["Authorization"] = "Bearer " + token;
        }

        return await McpClient.CreateAsync(
            new HttpClientTransport(new HttpClientTransportOptions
            {
                Endpoint = new Uri($"http://127.0.0.1:{port}/mcp"),
                TransportMode = HttpTransportMode.StreamableHttp,
                AdditionalHeaders = headers,
            }),
            cancellationToken: cancellationToken);
    }

    /// <summary>The process id of the hub, as its /healthz reports it.</summary>
    public async Task<int> ReadHubProcessIdAsync(CancellationToken cancellationToken)
    {
        if (_serve is not null)
        {
            return _serve.Id;
        }

        using var http = new HttpClient();
        JsonElement health = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{Port}/healthz", cancellationToken);
        return health.GetProperty("pid").GetInt32();
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

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
