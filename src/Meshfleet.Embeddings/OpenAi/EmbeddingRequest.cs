namespace Meshfleet.Embeddings.OpenAi;

/// <summary>The body of an OpenAI-style embeddings request.</summary>
public sealed record EmbeddingRequest(string Model, string Input);
