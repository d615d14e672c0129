namespace Meshfleet.Json;

/// <summary>What <c>send_message</c> with <c>fleet_id</c> returns: the stored message and the agent routing chose, with its score.</summary>
public sealed record RoutedReceipt(string MessageId, long Seq, long Timestamp, string ToAgentId, double Score, string Model);
