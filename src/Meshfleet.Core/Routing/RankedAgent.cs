namespace Meshfleet.Core.Routing;

/// <summary>An agent as <c>find_agents</c> returns it: its directory entry and how well it fits the task (0 to 1).</summary>
public sealed record RankedAgent(
    string AgentId,
    string? Name,
    string? Role,
    string? Description,
    string? FleetId,
    string Status,
    long? LastSeen,
    double Score);
