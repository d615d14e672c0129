namespace Meshfleet.Core.Agents;

/// <summary>An agent as <c>list_agents</c> shows it: <c>status</c> is online or offline, <c>last_seen</c> Unix ms.</summary>
public sealed record AgentView(
    string AgentId,
    string? Name,
    string? Role,
    string? Description,
    string? FleetId,
    string Status,
    long? LastSeen);
