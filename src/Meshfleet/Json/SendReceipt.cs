namespace Meshfleet.Json;

/// <summary>What <c>send_message</c> returns: the stored message's id, seq and time.</summary>
public sealed record SendReceipt(string MessageId, long Seq, long Timestamp);
