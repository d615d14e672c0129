using System.Globalization;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// <c>meshfleet serve</c> on the NATS JetStream backend: two serve processes on one nats-server (R1, file storage).
/// Sends go through the first; streams are held by the first (same node) or by the second (cross-node push).
/// </summary>
internal sealed class MeshfleetNatsSystem : IMessagingSystem
{
    private readonly ServerProcess _nats;
    private readonly BenchNode _sender;
    private readonly BenchNode _other;
    private readonly bool _crossNode;
    private readonly HttpClient _streams = SseHttp.CreateClient();

    private MeshfleetNatsSystem(ServerProcess nats, BenchNode sender, BenchNode other, bool crossNode, int serverProcessId)
    {
        _nats = nats;
        _sender = sender;
        _other = other;
        _crossNode = crossNode;
        ServerProcessId = serverProcessId;
    }

    public string Name => _crossNode ? "meshfleet-nats-xnode" : "meshfleet-nats";

    public int? ServerProcessId { get; }

    public int MaxSenders => int.MaxValue;

    public static async Task<MeshfleetNatsSystem> StartAsync(string binary, bool crossNode, CancellationToken cancellationToken)
    {
        string executable = ServerProcess.FindExecutable("nats-server")
            ?? throw new SystemUnavailableException("nats-server is not installed; install it with: apt-get install nats-server");
        int port = BenchNode.FreePort();
        ServerProcess nats = await ServerProcess.StartAsync(
            executable,
            directory => ["-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", directory],
            "Server is ready",
            environment: null,
            cancellationToken);
        var environment = new Dictionary<string, string> { ["MESHFLEET_NATS_URL"] = $"nats://127.0.0.1:{port}" };
        BenchNode? sender = null;
        try
        {
            // MESHFLEET_DB is set by BenchNode but unused with NATS: the store is the server's.
            sender = await BenchNode.StartServeAsync(binary, Path.Combine(nats.Directory, "unused.db"), BenchNode.FreePort(), null, environment, cancellationToken);
            BenchNode other = await BenchNode.StartServeAsync(binary, Path.Combine(nats.Directory, "unused.db"), BenchNode.FreePort(), null, environment, cancellationToken);
            return new MeshfleetNatsSystem(nats, sender, other, crossNode, await sender.ReadHubProcessIdAsync(cancellationToken));
        }
        catch
        {
            if (sender is not null)
            {
                await sender.DisposeAsync();
            }

            await nats.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) =>
        new McpToolSender(await BenchNode.ConnectHttpClientAsync(_sender.Port, null, cancellationToken), ownsClient: true);

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        await SseInboxReader.OpenAsync(_streams, new Uri($"http://127.0.0.1:{(_crossNode ? _other : _sender).Port}/inbox/{agentId}/stream"), null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _streams.Dispose();
        await _sender.DisposeAsync();
        await _other.DisposeAsync();
        await _nats.DisposeAsync();
    }
}
