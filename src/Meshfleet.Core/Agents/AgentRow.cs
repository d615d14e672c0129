namespace Meshfleet.Core.Agents;

/// <summary>An agent as stored, with the raw presence facts the registry turns into a status.</summary>
public sealed record AgentRow(
    AgentProfile Profile,
    long RegisteredAt,
    long? HeartbeatAt,
    int Streams,
    long? StreamsSeenAt,
    long? OfflineReportedAt);
