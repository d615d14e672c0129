using System.Collections.Concurrent;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Delivery;

/// <summary>
/// Collects "pushed to N streams" facts off the hot path and writes them in batches, so get_message_status can say
/// whether and when a message reached a stream without adding a write to every push.
/// </summary>
public sealed class PushLog
{
    private readonly IDeliveryLedger _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentQueue<PushRecord> _pending = new();

    public PushLog(IDeliveryLedger store, TimeProvider time)
    {
        _store = store;
        _time = time;
    }

    public void Record(MeshMessage message, int streams) =>
        _pending.Enqueue(new PushRecord(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId, streams, _time.GetUtcNow().ToUnixTimeMilliseconds()));

    /// <summary>Writes what has been recorded so far; returns how many records it wrote.</summary>
    public async ValueTask<int> FlushAsync(CancellationToken cancellationToken)
    {
        var batch = new List<PushRecord>();
        while (batch.Count < 4096 && _pending.TryDequeue(out PushRecord? record))
        {
            batch.Add(record);
        }

        await _store.RecordPushesAsync(batch, cancellationToken).ConfigureAwait(false);
        return batch.Count;
    }
}
