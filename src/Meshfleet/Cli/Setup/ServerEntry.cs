namespace Meshfleet.Cli.Setup;

/// <summary>What <c>meshfleet setup</c> puts in a client's config: the binary, its environment and the client's time limits.</summary>
/// <param name="Command">Absolute path of the meshfleet executable the client launches.</param>
/// <param name="Environment">MESHFLEET_* variables the server needs (the agent binding, a non-default store or port).</param>
/// <param name="AgentId">The agent the client's process acts as, or null.</param>
/// <param name="ToolTimeoutSeconds">The client's per-call limit: above Meshfleet's longest wait slice, so a wait returns before it.</param>
internal sealed record ServerEntry(string Command, IReadOnlyList<KeyValuePair<string, string>> Environment, string? AgentId, int ToolTimeoutSeconds)
{
    /// <summary>Seconds a client waits for the server to start (Codex's default of 10 s is tight on a busy machine).</summary>
    public const int StartupTimeoutSeconds = 30;

    /// <summary>The variable holding the agent's key: a secret, so a config that holds it is made private to its owner.</summary>
    public const string AgentKeyVariable = "MESHFLEET_AGENT_KEY";

    /// <summary>True when the entry carries a secret.</summary>
    public bool HoldsSecret => Environment.Any(p => p.Key == AgentKeyVariable);
}
