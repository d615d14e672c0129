using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Storage.InMemory;

/// <summary>The delivery ledger role of an in-memory store, with the same rules as the SQLite one.</summary>
internal sealed class InMemoryDeliveryLedger : IDeliveryLedger
{
    private readonly InMemoryState _state;

    public InMemoryDeliveryLedger(InMemoryState state)
    {
        _state = state;
    }

    public ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            foreach (PushRecord push in pushes)
            {
                DeliveryRow row = Row(push.MessageId, push.Seq, push.FromAgentId, push.ToAgentId);
                _state.Deliveries[push.MessageId] = row with
                {
                    PushedStreams = row.PushedStreams + push.Streams,
                    FirstPushedAt = row.FirstPushedAt ?? push.At,
                    LastPushedAt = push.At,
                };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (!_state.Deliveries.TryGetValue(messageId, out DeliveryRow? row) || !row.RequiresAck || !string.Equals(row.ToAgentId, agentId, StringComparison.Ordinal))
            {
                return ValueTask.FromResult<DeliveryRow?>(null);
            }

            DeliveryRow acked = row with { AckedAt = row.AckedAt ?? now, NextAttemptAt = null };
            _state.Deliveries[messageId] = acked;
            return ValueTask.FromResult<DeliveryRow?>(acked);
        }
    }

    public ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DeliveryRow>>(_state.Deliveries.Values
                .Where(r => Pending(r) && r.NextAttemptAt <= now)
                .OrderBy(r => r.NextAttemptAt)
                .ThenBy(r => r.Seq)
                .Take(limit)
                .ToArray());
        }
    }

    public ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            DeliveryRow[] late = _state.Deliveries.Values.Where(r => Pending(r) && r.NextAttemptAt > latest).ToArray();
            foreach (DeliveryRow row in late)
            {
                _state.Deliveries[row.MessageId] = row with { NextAttemptAt = now };
            }

            return ValueTask.FromResult(late.Length);
        }
    }

    public ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (_state.Deliveries.TryGetValue(messageId, out DeliveryRow? row) && row.AckedAt is null)
            {
                _state.Deliveries[messageId] = row with { Attempts = attempts, NextAttemptAt = nextAttemptAt, DeadLetteredAt = deadLetteredAt };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken)
    {
        MeshMessage? stored = null;
        lock (_state.Gate)
        {
            if (_state.Deliveries.TryGetValue(messageId, out DeliveryRow? row) && row.AckedAt is null && row.DeadLetteredAt is null)
            {
                _state.ThrowIfIdTaken(notice.MessageId);
                _state.Deliveries[messageId] = row with { DeadLetteredAt = now, NextAttemptAt = null };
                stored = _state.AppendLocked(notice).Message;
            }
        }

        if (stored is not null)
        {
            _state.RaiseAppended();
        }

        return ValueTask.FromResult(stored);
    }

    public ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            DeliveryRow row = Row(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId);
            _state.Deliveries[message.MessageId] = row with
            {
                NotifiedSessions = row.NotifiedSessions + 1,
                FirstNotifiedAt = row.FirstNotifiedAt ?? at,
                LastNotifiedAt = at,
            };
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            foreach (MeshMessage message in messages)
            {
                DeliveryRow row = Row(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId);
                _state.Deliveries[message.MessageId] = row with { ReadAt = row.ReadAt ?? at };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (!_state.Inboxes.TryGetValue(agentId, out List<MeshMessage>? inbox))
            {
                return ValueTask.FromResult<IReadOnlyList<MeshMessage>>([]);
            }

            return ValueTask.FromResult<IReadOnlyList<MeshMessage>>(inbox
                .TakeWhile(m => m.Seq <= throughSeq)
                .Where(m => m.Timestamp >= fromTimestamp && !Seen(m.MessageId))
                .Take(limit)
                .ToArray());
        }
    }

    public ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Deliveries.GetValueOrDefault(messageId));
        }
    }

    public ValueTask<IReadOnlyList<DeliveryRow>> ListDeliveriesAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<DeliveryRow>>(
                _state.Deliveries.Values.Where(d => d.Seq > afterSeq).OrderBy(d => d.Seq).Take(limit).ToArray());
        }
    }

    public ValueTask<int> ImportDeliveriesAsync(IReadOnlyList<DeliveryRow> deliveries, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            int added = 0;
            foreach (DeliveryRow row in deliveries)
            {
                if (_state.Deliveries.TryAdd(row.MessageId, row))
                {
                    added++;
                }
            }

            return ValueTask.FromResult(added);
        }
    }

    private static bool Pending(DeliveryRow row) => row.RequiresAck && row.AckedAt is null && row.DeadLetteredAt is null && row.NextAttemptAt is not null;

    private bool Seen(string messageId) =>
        _state.Deliveries.TryGetValue(messageId, out DeliveryRow? row) && (row.NotifiedSessions > 0 || row.ReadAt is not null);

    /// <summary>The message's delivery facts, or a fresh row with nothing happened yet (the caller holds the lock).</summary>
    private DeliveryRow Row(string messageId, long seq, string from, string to) =>
        _state.Deliveries.GetValueOrDefault(messageId)
        ?? new DeliveryRow(messageId, seq, from, to, RequiresAck: false, Attempts: 0, NextAttemptAt: null, PushedStreams: 0, FirstPushedAt: null, LastPushedAt: null, AckedAt: null, DeadLetteredAt: null);
}
