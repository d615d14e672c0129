namespace Meshfleet.Cli.Export;

/// <summary>A delivery line of an export: what happened to one message; its seq is the exporting store's and is not imported.</summary>
internal sealed record ExportDelivery(
    string Type,
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
    int NotifiedSessions,
    long? FirstNotifiedAt,
    long? LastNotifiedAt,
    long? ReadAt);
