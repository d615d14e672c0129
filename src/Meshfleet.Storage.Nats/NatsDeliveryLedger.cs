using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// The delivery ledger: one key per message in the deliveries bucket (pushes, reads, notifications, the ack schedule),
/// and a key per message still awaiting its ack in the pending bucket, so the redelivery sweep reads only those.
/// </summary>
public sealed class NatsDeliveryLedger : IDeliveryLedger
{
    private const int UnseenPage = 256;
    private readonly NatsMesh _mesh;
    private readonly NatsMessageStore _store;

    public NatsDeliveryLedger(NatsMesh mesh, NatsMessageStore store)
    {
        _mesh = mesh;
        _store = store;
    }

    /// <summary>
    /// Starts a message's ack schedule before the message is published (seq 0 until it is), so an ack that races the
    /// push finds the row. A publish that then fails leaves a row without a message, which the sweep drops.
    /// </summary>
    internal static async ValueTask TrackAckAsync(NatsMesh mesh, MessageDraft draft, long due, CancellationToken cancellationToken)
    {
        string key = NatsNames.MessageKey(draft.MessageId);
        await mesh.Deliveries.MutateAsync(
            key,
            NatsStoreJsonContext.Default.DeliveryRow,
            row => (row ?? Empty(draft.MessageId, 0, draft.FromAgentId, draft.ToAgentId)) with { RequiresAck = true, NextAttemptAt = due },
            cancellationToken).ConfigureAwait(false);
        await mesh.Pending.Store.PutAsync(key, "1"u8.ToArray(), NATS.Client.Core.NatsRawSerializer<byte[]>.Default, cancellationToken).ConfigureAwait(false);
    }

    internal static async ValueTask SetTrackedSeqAsync(NatsMesh mesh, string messageId, long seq, CancellationToken cancellationToken) =>
        await mesh.Deliveries.MutateAsync(
            NatsNames.MessageKey(messageId),
            NatsStoreJsonContext.Default.DeliveryRow,
            row => row is null || row.Seq == seq ? row : row with { Seq = seq },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken)
    {
        foreach (PushRecord push in pushes)
        {
            await _mesh.Deliveries.MutateAsync(
                NatsNames.MessageKey(push.MessageId),
                NatsStoreJsonContext.Default.DeliveryRow,
                row => (row ?? Empty(push.MessageId, push.Seq, push.FromAgentId, push.ToAgentId)) with
                {
                    Seq = push.Seq,
                    PushedStreams = (row?.PushedStreams ?? 0) + push.Streams,
                    FirstPushedAt = row?.FirstPushedAt ?? push.At,
                    LastPushedAt = push.At,
                },
                cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken)
    {
        string key = NatsNames.MessageKey(messageId);
        DeliveryRow? row = await _mesh.Deliveries.MutateAsync(
            key,
            NatsStoreJsonContext.Default.DeliveryRow,
            row => row is null || row.ToAgentId != agentId || !row.RequiresAck ? null : row with { AckedAt = row.AckedAt ?? now, NextAttemptAt = null },
            cancellationToken).ConfigureAwait(false);
        if (row is null || row.ToAgentId != agentId || !row.RequiresAck)
        {
            return null;
        }

        await _mesh.Pending.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        return row;
    }

    public async ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken)
    {
        List<DeliveryRow> pending = await ReadPendingAsync(cancellationToken).ConfigureAwait(false);
        return pending
            .Where(row => row.NextAttemptAt <= now && row.Seq > 0)
            .OrderBy(row => row.NextAttemptAt)
            .Take(limit)
            .ToList();
    }

    public async ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken)
    {
        int moved = 0;
        foreach (DeliveryRow stale in (await ReadPendingAsync(cancellationToken).ConfigureAwait(false)).Where(row => row.NextAttemptAt > latest))
        {
            DeliveryRow? row = await _mesh.Deliveries.MutateAsync(
                NatsNames.MessageKey(stale.MessageId),
                NatsStoreJsonContext.Default.DeliveryRow,
                row => row is { AckedAt: null, DeadLetteredAt: null } && row.NextAttemptAt > latest ? row with { NextAttemptAt = now } : row,
                cancellationToken).ConfigureAwait(false);
            moved += row?.NextAttemptAt == now ? 1 : 0;
        }

        return moved;
    }

    public async ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken)
    {
        string key = NatsNames.MessageKey(messageId);
        DeliveryRow? row = await _mesh.Deliveries.MutateAsync(
            key,
            NatsStoreJsonContext.Default.DeliveryRow,
            row => row is { AckedAt: null } ? row with { Attempts = attempts, NextAttemptAt = nextAttemptAt, DeadLetteredAt = deadLetteredAt } : row,
            cancellationToken).ConfigureAwait(false);
        if (row is not null && (row.AckedAt is not null || row.NextAttemptAt is null))
        {
            await _mesh.Pending.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// The dead-letter mark is a compare-and-set, so an ack that came first wins and no false notice goes out. The
    /// notice is appended after the mark (JetStream has no transaction across a bucket and a stream): a crash between
    /// the two leaves the message dead-lettered without its notice.
    /// </remarks>
    public async ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken)
    {
        string key = NatsNames.MessageKey(messageId);
        while (true)
        {
            (DeliveryRow? row, ulong revision) = await _mesh.Deliveries.GetAsync(key, NatsStoreJsonContext.Default.DeliveryRow, cancellationToken).ConfigureAwait(false);
            if (row is null || row.AckedAt is not null || row.DeadLetteredAt is not null)
            {
                return null;
            }

            ulong written = await _mesh.Deliveries.TryUpdateAsync(key, row with { DeadLetteredAt = now, NextAttemptAt = null }, revision, NatsStoreJsonContext.Default.DeliveryRow, cancellationToken).ConfigureAwait(false);
            if (written != 0)
            {
                break;
            }
        }

        await _mesh.Pending.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
        return (await _store.AppendAsync(notice, cancellationToken).ConfigureAwait(false)).Message;
    }

    public async ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken) =>
        await _mesh.Deliveries.MutateAsync(
            NatsNames.MessageKey(message.MessageId),
            NatsStoreJsonContext.Default.DeliveryRow,
            row => (row ?? Empty(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId)) with
            {
                NotifiedSessions = (row?.NotifiedSessions ?? 0) + 1,
                FirstNotifiedAt = row?.FirstNotifiedAt ?? at,
                LastNotifiedAt = at,
            },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken)
    {
        foreach (MeshMessage message in messages)
        {
            // Only the first read counts, so an unchanged row is not rewritten on every poll.
            await _mesh.Deliveries.MutateAsync(
                NatsNames.MessageKey(message.MessageId),
                NatsStoreJsonContext.Default.DeliveryRow,
                row => row is null ? Empty(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId) with { ReadAt = at }
                    : row.ReadAt is null ? row with { ReadAt = at }
                    : row,
                cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>Walks the agent's inbox (its subject's index) and looks up each candidate's delivery row.</remarks>
    public async ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken)
    {
        var unseen = new List<MeshMessage>();
        long cursor = 0;
        while (unseen.Count < limit)
        {
            IReadOnlyList<MeshMessage> page = await _store.ReadInboxAsync(agentId, cursor, UnseenPage, cancellationToken).ConfigureAwait(false);
            foreach (MeshMessage message in page)
            {
                if (message.Seq > throughSeq || unseen.Count >= limit)
                {
                    return unseen;
                }

                if (message.Timestamp >= fromTimestamp)
                {
                    DeliveryRow? row = await GetDeliveryAsync(message.MessageId, cancellationToken).ConfigureAwait(false);
                    if (row is null || (row.NotifiedSessions == 0 && row.ReadAt is null))
                    {
                        unseen.Add(message);
                    }
                }

                cursor = message.Seq;
            }

            if (page.Count < UnseenPage)
            {
                break;
            }
        }

        return unseen;
    }

    public async ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken) =>
        (await _mesh.Deliveries.GetAsync(NatsNames.MessageKey(messageId), NatsStoreJsonContext.Default.DeliveryRow, cancellationToken).ConfigureAwait(false)).Value;

    /// <summary>The delivery rows of every message still awaiting its ack; keys whose message was acked meanwhile are dropped.</summary>
    private async ValueTask<List<DeliveryRow>> ReadPendingAsync(CancellationToken cancellationToken)
    {
        var rows = new List<DeliveryRow>();
        await foreach (string key in _mesh.Pending.KeysAsync(null, cancellationToken).ConfigureAwait(false))
        {
            DeliveryRow? row = (await _mesh.Deliveries.GetAsync(key, NatsStoreJsonContext.Default.DeliveryRow, cancellationToken).ConfigureAwait(false)).Value;
            if (row is { RequiresAck: true, AckedAt: null, DeadLetteredAt: null, NextAttemptAt: not null })
            {
                rows.Add(row);
            }
            else
            {
                await _mesh.Pending.DeleteAsync(key, cancellationToken).ConfigureAwait(false);
            }
        }

        return rows;
    }

    private static DeliveryRow Empty(string messageId, long seq, string from, string to) =>
        new(messageId, seq, from, to, RequiresAck: false, Attempts: 0, NextAttemptAt: null, PushedStreams: 0, FirstPushedAt: null, LastPushedAt: null, AckedAt: null, DeadLetteredAt: null);
}
