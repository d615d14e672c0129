namespace Meshfleet.Cli.Export;

/// <summary>An agent line of an export: its profile and presence facts (never its key hash).</summary>
internal sealed record ExportAgent(
    string Type,
    string AgentId,
    string? Name,
    string? Role,
    string? Description,
    string? FleetId,
    long RegisteredAt,
    long? HeartbeatAt,
    int Streams,
    long? StreamsSeenAt,
    long? OfflineReportedAt);
