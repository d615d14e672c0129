namespace Meshfleet.Core.Delivery;

/// <summary>A message reached <paramref name="Streams"/> live streams at <paramref name="At"/> (Unix ms).</summary>
public sealed record PushRecord(string MessageId, long Seq, string FromAgentId, string ToAgentId, int Streams, long At);
