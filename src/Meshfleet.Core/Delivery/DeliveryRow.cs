namespace Meshfleet.Core.Delivery;

/// <summary>The delivery facts stored for a message that was pushed or needs an ack.</summary>
public sealed record DeliveryRow(
    string MessageId,
    long Seq,
    string FromAgentId,
    string ToAgentId,
    bool RequiresAck,
    int Attempts,
    long? NextAttemptAt,
    int PushedStreams,
    long? FirstPushedAt,
    long? LastPushedAt,
    long? AckedAt,
    long? DeadLetteredAt,
    int NotifiedSessions = 0,
    long? FirstNotifiedAt = null,
    long? LastNotifiedAt = null,
    long? ReadAt = null);
