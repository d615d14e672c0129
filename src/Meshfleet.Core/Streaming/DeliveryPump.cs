using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Core.Streaming;

/// <summary>
/// Feeds the hub from the store's tail, so every committed message, from this process or another, is published once and in seq order.
/// </summary>
public sealed class DeliveryPump
{
    private readonly IMessageLog _store;
    private readonly StreamHub _hub;

    public DeliveryPump(IMessageLog store, StreamHub hub)
    {
        _store = store;
        _hub = hub;
    }

    /// <summary>
    /// Sets the hub's cursor to the store's head, then returns the loop that publishes everything after it until cancelled.
    /// Open streams only after this returns: their replay reads up to the cursor set here.
    /// </summary>
    public async Task<Task> StartAsync(CancellationToken cancellationToken)
    {
        long head = await _store.ReadHeadSeqAsync(cancellationToken).ConfigureAwait(false);
        _hub.StartAt(head);
        return PublishAsync(head, cancellationToken);
    }

    /// <summary>Raised when a message reached live streams, with how many.</summary>
    public event Action<MeshMessage, int>? Pushed;

    /// <summary>Raised when reading the store failed; the pump retries from its cursor.</summary>
    public event Action<Exception>? Faulted;

    private async Task PublishAsync(long head, CancellationToken cancellationToken)
    {
        long cursor = head;
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (var message in _store.TailAsync(cursor, cancellationToken).ConfigureAwait(false))
                {
                    int reached = _hub.Publish(message);
                    if (reached > 0)
                    {
                        Pushed?.Invoke(message, reached);
                    }

                    cursor = message.Seq;
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                Faulted?.Invoke(ex);
                try
                {
                    await Task.Delay(RetryDelay, cancellationToken).ConfigureAwait(false);
                }
                catch (OperationCanceledException)
                {
                    return;
                }
            }
        }
    }

    private static readonly TimeSpan RetryDelay = TimeSpan.FromMilliseconds(200);
}
