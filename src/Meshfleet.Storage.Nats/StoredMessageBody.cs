namespace Meshfleet.Storage.Nats;

/// <summary>A message as it lies in the stream: everything but its seq, which is the stream sequence.</summary>
internal sealed record StoredMessageBody(
    string MessageId,
    string FromAgentId,
    string ToAgentId,
    string Payload,
    long Timestamp,
    string? ThreadId = null,
    string? ReplyTo = null);
