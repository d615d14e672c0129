using System.Globalization;
using ModelContextProtocol.Client;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// <c>meshfleet serve</c>: MCP over Streamable HTTP at /mcp (a client per sender) and the SSE inbox streams; or, as
/// <c>meshfleet-api</c>, the plain HTTP API (<c>POST /inbox/{to}/messages</c>) for the sends instead of MCP.
/// </summary>
internal sealed class MeshfleetHttpSystem : IMessagingSystem
{
    private const string Token = "bench-token-0123456789abcdef";
    private readonly BenchNode _node;
    private readonly string _directory;
    private readonly string? _token;
    private readonly bool _plainApi;
    private readonly HttpClient _streams = SseHttp.CreateClient();

    private MeshfleetHttpSystem(BenchNode node, string directory, string? token, bool plainApi, int serverProcessId)
    {
        _node = node;
        _directory = directory;
        _token = token;
        _plainApi = plainApi;
        ServerProcessId = serverProcessId;
    }

    public string Name => _plainApi ? "meshfleet-api" : _token is null ? "meshfleet-http" : "meshfleet-http-token";

    public int? ServerProcessId { get; }

    public int MaxSenders => int.MaxValue;

    /// <summary>
    /// Starts <c>meshfleet serve</c> on a fresh store; with a bearer token when <paramref name="withToken"/>; sending through
    /// the plain HTTP API instead of MCP when <paramref name="plainApi"/>.
    /// </summary>
    public static async Task<MeshfleetHttpSystem> StartAsync(string binary, bool withToken, int maxStreamsPerAgent, CancellationToken cancellationToken, bool plainApi = false)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        string? token = withToken ? Token : null;
        try
        {
            BenchNode node = await BenchNode.StartServeAsync(
                binary,
                Path.Combine(directory, "mesh.db"),
                BenchNode.FreePort(),
                token,
                new Dictionary<string, string> { ["MESHFLEET_MAX_STREAMS_PER_AGENT"] = maxStreamsPerAgent.ToString(CultureInfo.InvariantCulture) },
                cancellationToken);
            return new MeshfleetHttpSystem(node, directory, token, plainApi, await node.ReadHubProcessIdAsync(cancellationToken));
        }
        catch
        {
            Directory.Delete(directory, recursive: true);
            throw;
        }
    }

    public async ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) => _plainApi
        ? JsonPostSender.PlainApi(new Uri($"http://127.0.0.1:{_node.Port}/"))
        : new McpToolSender(await ConnectMcpClientAsync(cancellationToken), ownsClient: true);

    /// <summary>A new MCP client over Streamable HTTP; the caller disposes it.</summary>
    public Task<McpClient> ConnectMcpClientAsync(CancellationToken cancellationToken) =>
        BenchNode.ConnectHttpClientAsync(_node.Port, _token, cancellationToken);

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        await SseInboxReader.OpenAsync(_streams, new Uri($"http://127.0.0.1:{_node.Port}/inbox/{agentId}/stream"), _token, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _streams.Dispose();
        await _node.DisposeAsync();
        Directory.Delete(_directory, recursive: true);
    }
}
