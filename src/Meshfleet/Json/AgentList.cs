using Meshfleet.Core.Agents;

namespace Meshfleet.Json;

/// <summary>What <c>list_agents</c> returns.</summary>
public sealed record AgentList(IReadOnlyList<AgentView> Agents);
