using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// <c>meshfleet</c> spawned as an MCP client spawns it (stdio). The stream is read from the hub (the process holding the
/// HTTP port). <see cref="StdioLayout.CrossProcess"/> sends through a second process on the same store, which wakes
/// the hub; <see cref="StdioLayout.FourWriters"/> spreads senders over four processes (the hub and three others).
/// </summary>
internal sealed class MeshfleetStdioSystem : IMessagingSystem
{
    private readonly BenchNode _hub;
    private readonly BenchNode[] _writers;
    private readonly BenchNode[] _others;
    private readonly string _directory;
    private readonly HttpClient _streams = SseHttp.CreateClient();
    private int _nextWriter;

    private MeshfleetStdioSystem(string name, BenchNode hub, BenchNode[] others, BenchNode[] writers, string directory, int hubProcessId)
    {
        Name = name;
        _hub = hub;
        _others = others;
        _writers = writers;
        _directory = directory;
        ServerProcessId = hubProcessId;
    }

    /// <summary>Which processes the senders go through.</summary>
    public enum StdioLayout
    {
        HubOnly,
        CrossProcess,
        FourWriters,
    }

    public string Name { get; }

    public int? ServerProcessId { get; }

    public int MaxSenders => 1;

    /// <summary>The MCP client of the (first) sending process (owned by this system).</summary>
    public McpClient SenderClient => _writers[0].Client;

    public static async Task<MeshfleetStdioSystem> StartAsync(string binary, StdioLayout layout, CancellationToken cancellationToken)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        string database = Path.Combine(directory, "mesh.db");
        int port = BenchNode.FreePort();
        BenchNode? hub = null;
        try
        {
            hub = await BenchNode.StartAsync(binary, database, port, cancellationToken);
            await hub.Listening.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            int extra = layout switch { StdioLayout.CrossProcess => 1, StdioLayout.FourWriters => 3, _ => 0 };
            BenchNode[] others = await Task.WhenAll(Enumerable.Range(0, extra).Select(_ => BenchNode.StartAsync(binary, database, port, cancellationToken)));
            (string name, BenchNode[] writers) = layout switch
            {
                StdioLayout.CrossProcess => ("meshfleet-stdio-xproc", others),
                StdioLayout.FourWriters => ("meshfleet-stdio-4proc", [hub, .. others]),
                _ => ("meshfleet-stdio", [hub]),
            };
            return new MeshfleetStdioSystem(name, hub, others, writers, directory, await hub.ReadHubProcessIdAsync(cancellationToken));
        }
        catch
        {
            if (hub is not null)
            {
                await hub.DisposeAsync();
            }

            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    /// <summary>Senders take the writer processes in turn.</summary>
    public ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IMessageSender>(new McpToolSender(_writers[Interlocked.Increment(ref _nextWriter) % _writers.Length].Client, ownsClient: false));

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        await SseInboxReader.OpenAsync(_streams, new Uri($"http://127.0.0.1:{_hub.Port}/inbox/{agentId}/stream"), bearerToken: null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _streams.Dispose();
        foreach (BenchNode other in _others)
        {
            await other.DisposeAsync();
        }

        await _hub.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
