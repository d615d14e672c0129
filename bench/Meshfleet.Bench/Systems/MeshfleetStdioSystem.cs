using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// <c>meshfleet</c> spawned as an MCP client spawns it (stdio). The stream is read from the hub (the process holding the
/// HTTP port); with <c>crossProcess</c>, sends go through a second process on the same store, which wakes the hub.
/// </summary>
internal sealed class MeshfleetStdioSystem : IMessagingSystem
{
    private readonly BenchNode _hub;
    private readonly BenchNode? _second;
    private readonly string _directory;
    private readonly HttpClient _streams = SseHttp.CreateClient();

    private MeshfleetStdioSystem(BenchNode hub, BenchNode? second, string directory, int hubProcessId)
    {
        _hub = hub;
        _second = second;
        _directory = directory;
        ServerProcessId = hubProcessId;
    }

    public string Name => _second is null ? "meshfleet-stdio" : "meshfleet-stdio-xproc";

    public int? ServerProcessId { get; }

    public int MaxSenders => 1;

    /// <summary>The MCP client of the sending process (owned by this system).</summary>
    public McpClient SenderClient => (_second ?? _hub).Client;

    public static async Task<MeshfleetStdioSystem> StartAsync(string binary, bool crossProcess, CancellationToken cancellationToken)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        string database = Path.Combine(directory, "mesh.db");
        int port = BenchNode.FreePort();
        BenchNode? hub = null;
        try
        {
            hub = await BenchNode.StartAsync(binary, database, port, cancellationToken);
            await hub.Listening.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            BenchNode? second = crossProcess ? await BenchNode.StartAsync(binary, database, port, cancellationToken) : null;
            return new MeshfleetStdioSystem(hub, second, directory, await hub.ReadHubProcessIdAsync(cancellationToken));
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

    public ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IMessageSender>(new McpToolSender(SenderClient, ownsClient: false));

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        await SseInboxReader.OpenAsync(_streams, new Uri($"http://127.0.0.1:{_hub.Port}/inbox/{agentId}/stream"), bearerToken: null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _streams.Dispose();
        if (_second is not null)
        {
            await _second.DisposeAsync();
        }

        await _hub.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
