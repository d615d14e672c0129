using System.Net;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// One real meshfleet process on stdio, driven by the C# SDK's MCP client, with its stderr captured so tests can
/// wait for the listener's startup line instead of sleeping.
/// </summary>
internal sealed class MeshNode : IAsyncDisposable
{
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _stderr = [];

    private MeshNode(MeshScope scope)
    {
        Scope = scope;
    }

    public MeshScope Scope { get; }

    public McpClient Client { get; private set; } = null!;

    /// <summary>Completes with the port once this process logs that its HTTP listener is up.</summary>
    public Task<int> Listening => _listening.Task;

    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    public static async Task<MeshNode> StartAsync(MeshScope scope, IReadOnlyDictionary<string, string>? extra = null)
    {
        var node = new MeshNode(scope);
        var environment = new Dictionary<string, string?>(scope.Environment.ToDictionary(p => p.Key, p => (string?)p.Value));
        foreach ((string key, string value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        var transport = new StdioClientTransport(new StdioClientTransportOptions
        {
            Command = MeshfleetBinary.Path,
            EnvironmentVariables = environment,
            StandardErrorLines = node.OnStderr,
            ShutdownTimeout = TimeSpan.FromSeconds(10),
        });
        node.Client = await McpClient.CreateAsync(transport, cancellationToken: scope.Timeout);
        return node;
    }

    private void OnStderr(string line)
    {
        lock (_stderr)
        {
            _stderr.Add(line);
        }

        int at = line.IndexOf("SSE listening on http://", StringComparison.Ordinal);
        if (at >= 0)
        {
            int portStart = line.IndexOf("(port ", at, StringComparison.Ordinal) + 6;
            int portEnd = line.IndexOf(',', portStart);
            _listening.TrySetResult(int.Parse(line[portStart..portEnd], System.Globalization.CultureInfo.InvariantCulture));
        }
    }

    public async Task<JsonElement> CallAsync(string tool, Dictionary<string, object?> arguments)
    {
        CallToolResult result = await Client.CallToolAsync(tool, arguments, cancellationToken: Scope.Timeout);
        Assert.True(result.IsError != true, $"{tool} failed: {ErrorText(result)}");
        Assert.NotNull(result.StructuredContent);
        string text = Assert.IsType<TextContentBlock>(Assert.Single(result.Content)).Text;
        Assert.Equal(result.StructuredContent!.Value.GetRawText(), text);
        return result.StructuredContent.Value;
    }

    public async Task<string> CallExpectingErrorAsync(string tool, Dictionary<string, object?> arguments)
    {
        CallToolResult result = await Client.CallToolAsync(tool, arguments, cancellationToken: Scope.Timeout);
        Assert.True(result.IsError == true, $"{tool} should have failed but returned {result.StructuredContent?.GetRawText()}");
        return ErrorText(result);
    }

    public Task<JsonElement> SendAsync(string from, string to, string payload) =>
        CallAsync("send_message", new() { ["from_agent_id"] = from, ["to_agent_id"] = to, ["payload"] = payload });

    public async ValueTask DisposeAsync() => await Client.DisposeAsync();

    private static string ErrorText(CallToolResult result) =>
        string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
}

/// <summary>A temporary mesh: its own store file, a free port, a deadline, and cleanup.</summary>
internal sealed class MeshScope : IAsyncDisposable
{
    private readonly CancellationTokenSource _deadline = new(TimeSpan.FromSeconds(60));
    private readonly List<MeshNode> _nodes = [];

    public MeshScope()
    {
        Directory = System.IO.Directory.CreateTempSubdirectory("meshfleet-e2e-").FullName;
        Port = FreePort();
        Environment = new Dictionary<string, string>
        {
            ["MESHFLEET_DB"] = DatabasePath,
            ["MESHFLEET_SSE_PORT"] = Port.ToString(System.Globalization.CultureInfo.InvariantCulture),
            ["MESHFLEET_LOG_LEVEL"] = "information",
        };
        Http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{Port}"), Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Directory { get; }

    public string DatabasePath => Path.Combine(Directory, "mesh.db");

    public int Port { get; }

    public Dictionary<string, string> Environment { get; }

    public HttpClient Http { get; }

    public CancellationToken Timeout => _deadline.Token;

    public async Task<MeshNode> StartNodeAsync(IReadOnlyDictionary<string, string>? extra = null)
    {
        MeshNode node = await MeshNode.StartAsync(this, extra);
        _nodes.Add(node);
        return node;
    }

    public async Task<MeshNode> StartHubAsync()
    {
        MeshNode node = await StartNodeAsync();
        await node.Listening.WaitAsync(Timeout);
        return node;
    }

    public async Task<int> HubPidAsync()
    {
        JsonElement health = await Http.GetFromJsonAsync<JsonElement>("/healthz", Timeout);
        return health.GetProperty("pid").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (MeshNode node in _nodes)
        {
            try
            {
                await node.DisposeAsync();
            }
            catch (Exception ex) when (ex is IOException or InvalidOperationException or OperationCanceledException)
            {
                // A node a test killed on purpose has nothing left to close.
            }
        }

        Http.Dispose();
        _deadline.Dispose();
        Microsoft.Data.Sqlite.SqliteConnection.ClearAllPools();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
