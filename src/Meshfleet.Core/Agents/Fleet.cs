namespace Meshfleet.Core.Agents;

/// <summary>A named group of agents (an orchestrator and its specialists) with its timeouts.</summary>
public sealed record Fleet(string FleetId, string? Description, int RequestTimeoutSeconds, int HeartbeatTimeoutSeconds)
{
    public const int DefaultRequestTimeoutSeconds = 120;
    public const int DefaultHeartbeatTimeoutSeconds = 90;
}
