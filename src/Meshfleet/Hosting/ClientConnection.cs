namespace Meshfleet.Hosting;

/// <summary>
/// The stdio client's end of the conversation. <see cref="Closed"/> fires when the client closes our stdin, so calls
/// still waiting (a long poll, an ask) end at once instead of holding the process and its port until they time out.
/// </summary>
internal sealed class ClientConnection : IDisposable
{
    private readonly CancellationTokenSource _closed = new();

    /// <summary>Cancelled once the client has closed its side.</summary>
    public CancellationToken Closed => _closed.Token;

    internal void MarkClosed()
    {
        try
        {
            // Asynchronously: the callbacks are pending tool calls, which must not run on the transport's read loop.
            _ = _closed.CancelAsync();
        }
        catch (ObjectDisposedException)
        {
            // The host is already gone.
        }
    }

    public void Dispose() => _closed.Dispose();
}
