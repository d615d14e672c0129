namespace Meshfleet.Core.Agents;

/// <summary>
/// An agent as <c>list_agents</c> shows it: <c>status</c> is online or offline, <c>last_seen</c> Unix ms. <c>agent_key</c> is
/// set only in the register_agent reply that made the agent's key (shown once).
/// </summary>
public sealed record AgentView(
    string AgentId,
    string? Name,
    string? Role,
    string? Description,
    string? FleetId,
    string Status,
    long? LastSeen,
    string? AgentKey = null);
