namespace Meshfleet.Core.Routing;

/// <summary>An agent's vector and the hash of the text it was made from (a different hash means the text changed).</summary>
public sealed record StoredEmbedding(string TextHash, float[] Vector);
