namespace Meshfleet.Core.Messaging;

/// <summary>
/// A message as it is stored and delivered: the same shape in tool results, SSE events and exports.
/// </summary>
public sealed record MeshMessage(
    string MessageId,
    long Seq,
    string FromAgentId,
    string ToAgentId,
    string Payload,
    long Timestamp,
    string? ThreadId = null,
    string? ReplyTo = null);
