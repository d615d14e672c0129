namespace Meshfleet.Core.Messaging;

/// <summary>
/// A validated message ready to be appended; the store assigns its <see cref="MeshMessage.Seq"/>.
/// </summary>
/// <param name="IdempotencyKey">When set, a second append with the same sender and key returns the first message.</param>
/// <param name="AckDueAt">When set, the message must be acked and its first redelivery is due then (Unix ms); stored with it atomically.</param>
public sealed record MessageDraft(
    string MessageId,
    string FromAgentId,
    string ToAgentId,
    string Payload,
    long Timestamp,
    string? ThreadId = null,
    string? ReplyTo = null,
    string? IdempotencyKey = null,
    long? AckDueAt = null);
