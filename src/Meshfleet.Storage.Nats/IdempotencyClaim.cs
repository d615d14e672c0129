namespace Meshfleet.Storage.Nats;

/// <summary>Who claimed an idempotency key: the message sent under it, and its seq once it is stored (0 until then).</summary>
internal sealed record IdempotencyClaim(string MessageId, long Seq);
