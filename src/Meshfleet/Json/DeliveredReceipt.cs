namespace Meshfleet.Json;

/// <summary>One message of a broadcast: its id and seq, and whom it went to.</summary>
public sealed record DeliveredReceipt(string MessageId, long Seq, string ToAgentId, long Timestamp);
