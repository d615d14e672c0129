namespace Meshfleet.Embeddings.OpenAi;

/// <summary>The part of an OpenAI-style embeddings response that Meshfleet reads.</summary>
public sealed record EmbeddingResponse(IReadOnlyList<EmbeddingData>? Data);
