using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Delivery;

/// <summary>
/// The delivery ledger, one of the three storage roles: what happened to each message on its way to the model (pushes,
/// notified sessions, first read), the ack schedule and redeliveries, and dead letters. A message's ack schedule is
/// created by its append (<see cref="MessageDraft.AckDueAt"/>); <see cref="Storage.StorageTraits.AtomicAcrossRoles"/> says
/// whether that and <see cref="DeadLetterAsync"/> commit with the message in one write.
/// </summary>
public interface IDeliveryLedger
{
    /// <summary>Adds pushes in one write.</summary>
    ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken);

    /// <summary>Marks a message acked; null when it is unknown, not addressed to the agent, or not awaiting an ack.</summary>
    ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken);

    /// <summary>Messages awaiting an ack (not acked, not dead-lettered) whose next attempt is due at <paramref name="now"/>, earliest first.</summary>
    ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Makes every pending redelivery due later than <paramref name="latest"/> due at <paramref name="now"/> instead (no
    /// schedule reaches that far: the time was stored before the wall clock stepped back). Returns how many it moved.
    /// </summary>
    ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken);

    /// <summary>Records a redelivery attempt and the next one's due time, unless the message was acked meanwhile.</summary>
    ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken);

    /// <summary>
    /// Dead-letters a message and appends <paramref name="notice"/> to the message log, only while the message is still
    /// neither acked nor dead-lettered; returns the stored notice, or null when an ack (or another sweep) came first.
    /// </summary>
    ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken);

    /// <summary>Records that a client session was woken with the message (one more notified session).</summary>
    ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken);

    /// <summary>Records the first time each message was returned to its recipient (get_inbox, long poll, ask).</summary>
    ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken);

    /// <summary>
    /// The agent's messages up to <paramref name="throughSeq"/>, stored at or after <paramref name="fromTimestamp"/>, that no
    /// session was woken with and nobody read yet, oldest first: what a newly bound session is told about.
    /// </summary>
    ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The delivery facts of a message, or null when nothing happened to it beyond being stored.</summary>
    ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Every message's delivery facts with a seq after <paramref name="afterSeq"/>, in seq order (export).</summary>
    ValueTask<IReadOnlyList<DeliveryRow>> ListDeliveriesAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>
    /// Stores delivery facts as exported (import), each under its <see cref="DeliveryRow.Seq"/> in this store; a message
    /// that already has delivery facts keeps them. Returns how many were added.
    /// </summary>
    ValueTask<int> ImportDeliveriesAsync(IReadOnlyList<DeliveryRow> deliveries, CancellationToken cancellationToken);
}
