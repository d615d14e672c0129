namespace Meshfleet.Cli.Setup;

/// <summary>The meshfleet entry found in a client's config, as <c>meshfleet doctor</c> checks it.</summary>
/// <param name="Command">The executable the client launches, or null when the entry names none.</param>
/// <param name="ToolTimeoutSeconds">The per-call time limit the entry sets, or null when it sets none.</param>
/// <param name="AgentId">MESHFLEET_AGENT_ID in the entry's environment, or null.</param>
/// <param name="AgentKey">MESHFLEET_AGENT_KEY in the entry's environment, or null. A secret: never print it.</param>
internal sealed record ConfiguredServer(string? Command, double? ToolTimeoutSeconds, string? AgentId, string? AgentKey = null);
