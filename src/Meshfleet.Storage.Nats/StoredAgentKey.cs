namespace Meshfleet.Storage.Nats;

/// <summary>An agent's current key hash and when it was set.</summary>
internal sealed record StoredAgentKey(byte[] Hash, long SetAt);
