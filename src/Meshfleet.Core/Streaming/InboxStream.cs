using System.Runtime.CompilerServices;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Core.Streaming;

/// <summary>
/// An agent's inbox from a cursor on: first what the store holds up to the hub's cursor at open, then live messages.
/// The seam is exact because the subscription was registered before the replay was read, and every message is
/// yielded only if its seq is above the last one yielded.
/// </summary>
public sealed class InboxStream : IDisposable
{
    private const int ReplayPage = 512;
    private readonly IMessageLog _store;
    private readonly InboxSubscription _subscription;
    private long _lastSeq;

    internal InboxStream(IMessageLog store, InboxSubscription subscription, long afterSeq)
    {
        _store = store;
        _subscription = subscription;
        _lastSeq = afterSeq;
    }

    /// <summary>The seq of the last message yielded (or the starting cursor).</summary>
    public long LastSeq => _lastSeq;

    /// <summary>Why the stream ended, when the hub ended it.</summary>
    public string? DropReason => _subscription.DropReason;

    /// <summary>Cancelled when the hub drops the stream for falling behind (see <see cref="InboxSubscription.Dropped"/>).</summary>
    public CancellationToken Dropped => _subscription.Dropped;

    /// <summary>Yields messages in seq order (and redeliveries as they come) until cancelled or dropped by the hub.</summary>
    public async IAsyncEnumerable<InboxEvent> ReadAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long replayUpTo = _subscription.ReplayUpTo;
        bool replaying = _lastSeq < replayUpTo;
        while (replaying)
        {
            IReadOnlyList<MeshMessage> page = await _store.ReadInboxAsync(_subscription.AgentId, _lastSeq, ReplayPage, cancellationToken).ConfigureAwait(false);
            foreach (MeshMessage message in page)
            {
                if (message.Seq > replayUpTo)
                {
                    replaying = false;
                    break;
                }

                _lastSeq = message.Seq;
                yield return new InboxEvent(message, Redelivery: false);
            }

            replaying &= page.Count == ReplayPage && _lastSeq < replayUpTo;
        }

        while (await _subscription.Live.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (_subscription.Live.TryRead(out InboxEvent item))
            {
                if (item.Redelivery)
                {
                    yield return item;
                    continue;
                }

                if (item.Message.Seq <= _lastSeq)
                {
                    continue;
                }

                _lastSeq = item.Message.Seq;
                yield return item;
            }
        }
    }

    public void Dispose() => _subscription.Dispose();
}
