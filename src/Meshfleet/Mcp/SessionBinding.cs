using ModelContextProtocol.Server;

namespace Meshfleet.Mcp;

/// <summary>The client session of a stdio process, once its handshake is done: what a bound process wakes.</summary>
internal sealed class SessionBinding
{
    private readonly TaskCompletionSource<McpServer> _session = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Called when the client sent <c>notifications/initialized</c>: it may now receive notifications.</summary>
    public void Connected(McpServer server) => _session.TrySetResult(server);

    /// <summary>Completes with the session once the client finished its handshake.</summary>
    public Task<McpServer> WaitAsync(CancellationToken cancellationToken) => _session.Task.WaitAsync(cancellationToken);
}
