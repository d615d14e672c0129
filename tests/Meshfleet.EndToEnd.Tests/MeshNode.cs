using System.Diagnostics;
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
/// wait for the listener's startup line instead of sleeping. The test spawns the process itself (rather than letting
/// the SDK do it) so it knows the pid and can SIGKILL it the way a crash would.
/// </summary>
internal sealed class MeshNode : IAsyncDisposable
{
    private readonly TaskCompletionSource<int> _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly List<string> _stderr = [];
    private readonly List<(string Fragment, TaskCompletionSource<string> Seen)> _watches = [];
    private readonly Process _process;

    private MeshNode(MeshScope scope, Process process)
    {
        Scope = scope;
        _process = process;
    }

    public MeshScope Scope { get; }

    public McpClient Client { get; private set; } = null!;

    /// <summary>Every <c>notifications/claude/channel</c> the server sent this client, in order, with when it arrived.</summary>
    public System.Threading.Channels.Channel<(JsonRpcNotification Notification, long ReceivedAt)> ChannelNotifications { get; } =
        System.Threading.Channels.Channel.CreateUnbounded<(JsonRpcNotification, long)>();

    /// <summary>The operating system's id of this meshfleet process.</summary>
    public int Pid => _process.Id;

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
        var environment = new Dictionary<string, string>(scope.Environment);
        foreach ((string key, string value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        Process process = Process.Start(MeshfleetBinary.StartInfo(environment))!;
        var node = new MeshNode(scope, process);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is not null)
            {
                node.OnStderr(e.Data);
            }
        };
        process.BeginErrorReadLine();
        try
        {
            var transport = new StreamClientTransport(serverInput: process.StandardInput.BaseStream, serverOutput: process.StandardOutput.BaseStream);
            var options = new McpClientOptions
            {
                Handlers = new McpClientHandlers
                {
                    NotificationHandlers =
                    [
                        new("notifications/claude/channel", (notification, _) =>
                        {
                            node.ChannelNotifications.Writer.TryWrite((notification, Stopwatch.GetTimestamp()));
                            return ValueTask.CompletedTask;
                        }),
                    ],
                },
            };
            node.Client = await McpClient.CreateAsync(transport, options, cancellationToken: scope.Timeout);
        }
        catch
        {
            process.Kill();
            process.Dispose();
            throw;
        }

        return node;
    }

    /// <summary>SIGKILL: the process gets no chance to flush, close or say goodbye, as in a crash or an OOM kill.</summary>
    public async Task KillAsync()
    {
        _process.Kill();
        await _process.WaitForExitAsync(Scope.Timeout);
    }

    /// <summary>Closes the process's stdin, the way an MCP client that exits or crashes does.</summary>
    public void CloseInput() => _process.StandardInput.Close();

    /// <summary>Completes when the process exits.</summary>
    public Task WaitForExitAsync(CancellationToken cancellationToken) => _process.WaitForExitAsync(cancellationToken);

    public int ExitCode => _process.ExitCode;

    /// <summary>Completes with the first stderr line (already logged or still to come) that contains <paramref name="fragment"/>.</summary>
    public Task<string> StderrLineAsync(string fragment)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_stderr)
        {
            string? earlier = _stderr.FirstOrDefault(l => l.Contains(fragment, StringComparison.Ordinal));
            if (earlier is not null)
            {
                seen.SetResult(earlier);
            }
            else
            {
                _watches.Add((fragment, seen));
            }
        }

        return seen.Task;
    }

    /// <summary>Completes when this process has written a stderr line containing <paramref name="text"/>.</summary>
    public Task WaitForStderrAsync(string text, CancellationToken cancellationToken) =>
        StderrLineAsync(text).WaitAsync(cancellationToken);

    private void OnStderr(string line)
    {
        lock (_stderr)
        {
            _stderr.Add(line);
            foreach ((string fragment, TaskCompletionSource<string> seen) in _watches)
            {
                if (line.Contains(fragment, StringComparison.Ordinal))
                {
                    seen.TrySetResult(line);
                }
            }
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
        // The same JSON; not the same bytes: the text a model reads is plain, while the SDK re-escapes structuredContent
        // on the wire (the client decodes that layer, so the model sees the same characters).
        Assert.True(JsonElement.DeepEquals(result.StructuredContent!.Value, JsonElement.Parse(text)), $"text {text} differs from structuredContent");
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

    public Task<JsonElement> SendAsync(string from, string to, string payload, string idempotencyKey) =>
        CallAsync("send_message", new() { ["from_agent_id"] = from, ["to_agent_id"] = to, ["payload"] = payload, ["idempotency_key"] = idempotencyKey });

    public async ValueTask DisposeAsync()
    {
        try
        {
            await Client.DisposeAsync();

            // EOF on stdin is how an MCP client tells a stdio server to stop; a server that ignores it is killed.
            _process.StandardInput.Close();
            using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(10));
            try
            {
                await _process.WaitForExitAsync(grace.Token);
            }
            catch (OperationCanceledException)
            {
                _process.Kill();
                await _process.WaitForExitAsync(CancellationToken.None);
            }
        }
        finally
        {
            _process.Dispose();
        }
    }

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

            // The AOT executable extracts ONNX Runtime on its first routing call: into the scope, not the user's cache.
            ["XDG_CACHE_HOME"] = Path.Combine(Directory, "cache"),
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
        lock (_nodes)
        {
            _nodes.Add(node);
        }

        return node;
    }

    public async Task<MeshNode> StartHubAsync()
    {
        MeshNode node = await StartNodeAsync();
        await node.Listening.WaitAsync(Timeout);
        return node;
    }

    /// <summary>Runs one query on the store file, read-only, beside the processes that use it.</summary>
    public async Task<object?> QueryStoreAsync(string sql)
    {
        await using var connection = new Microsoft.Data.Sqlite.SqliteConnection($"Data Source={DatabasePath};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(Timeout);
        await using Microsoft.Data.Sqlite.SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync(Timeout);
    }

    public async Task<int> HubPidAsync()
    {
        JsonElement health = await Http.GetFromJsonAsync<JsonElement>("/healthz", Timeout);
        return health.GetProperty("pid").GetInt32();
    }

    public async ValueTask DisposeAsync()
    {
        // All at once: each node may take a moment to drain after stdin closes, and tests with many nodes add up.
        await Task.WhenAll(_nodes.Select(StopNodeAsync));

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

    private static async Task StopNodeAsync(MeshNode node)
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

    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
