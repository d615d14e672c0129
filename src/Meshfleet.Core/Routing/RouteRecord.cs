namespace Meshfleet.Core.Routing;

/// <summary>One routed hand-off: the message, who sent it, the fleet it was routed in, the chosen agent and its score.</summary>
public sealed record RouteRecord(string MessageId, string FromAgentId, string? FleetId, string ToAgentId, double Score, string Model, long RoutedAt);
