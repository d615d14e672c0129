namespace Meshfleet.Core.Delivery;

/// <summary>
/// Where a message is: <c>stored</c>, <c>pushed</c> (to <see cref="PushedStreams"/> streams), <c>acked</c> or
/// <c>dead_lettered</c>, with the times (Unix ms) each happened.
/// </summary>
public sealed record DeliveryStatus(
    string MessageId,
    long Seq,
    string FromAgentId,
    string ToAgentId,
    string Status,
    long StoredAt,
    bool RequiresAck,
    int PushedStreams,
    long? FirstPushedAt,
    long? LastPushedAt,
    int Attempts,
    long? NextAttemptAt,
    long? AckedAt,
    long? DeadLetteredAt);
