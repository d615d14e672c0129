namespace Meshfleet.Core.Delivery;

/// <summary>
/// Where a message is on its way to the model: <c>stored</c>, <c>pushed</c> (to <see cref="PushedStreams"/> streams),
/// <c>notified</c> (<see cref="NotifiedSessions"/> client sessions woken with it), <c>read</c> (returned to its recipient),
/// <c>acked</c> or <c>dead_lettered</c>, with the times (Unix ms) each happened. <see cref="Status"/> is the furthest step.
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
    long? DeadLetteredAt,
    int NotifiedSessions = 0,
    long? NotifiedAt = null,
    long? ReadAt = null);
