using System.Text.Json.Serialization;

namespace Meshfleet.Embeddings.OpenAi;

/// <summary>Source-generated JSON for the embeddings endpoint (snake_case, like the OpenAI API).</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(EmbeddingRequest))]
[JsonSerializable(typeof(EmbeddingResponse))]
internal sealed partial class EmbeddingJsonContext : JsonSerializerContext;
