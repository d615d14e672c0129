namespace Meshfleet.Json;

/// <summary>What <c>send_message</c> returns: the stored message's id, seq and time, and a warning for an unknown recipient.</summary>
public sealed record SendReceipt(string MessageId, long Seq, long Timestamp, string? Warning = null);
