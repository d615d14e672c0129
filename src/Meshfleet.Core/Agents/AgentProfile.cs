namespace Meshfleet.Core.Agents;

/// <summary>What an agent says about itself when it registers.</summary>
public sealed record AgentProfile(string AgentId, string? Name, string? Role, string? Description, string? FleetId);
