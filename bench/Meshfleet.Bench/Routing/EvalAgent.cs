namespace Meshfleet.Bench.Routing;

/// <summary>An agent of the evaluation set and the tasks that belong to it.</summary>
internal sealed record EvalAgent(string AgentId, string Role, string Description, IReadOnlyList<string> Tasks);
