namespace Meshfleet.Embeddings.OpenAi;

/// <summary>One vector of an embeddings response.</summary>
public sealed record EmbeddingData(float[]? Embedding);
