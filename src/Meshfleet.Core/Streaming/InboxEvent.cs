using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Streaming;

/// <summary>One thing a stream carries: a message, first time or redelivered (awaiting its ack).</summary>
public readonly record struct InboxEvent(MeshMessage Message, bool Redelivery);
