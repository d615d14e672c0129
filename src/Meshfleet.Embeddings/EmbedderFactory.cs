using Meshfleet.Core.Routing;
using Meshfleet.Embeddings.Onnx;
using Meshfleet.Embeddings.OpenAi;

namespace Meshfleet.Embeddings;

/// <summary>Picks the embedder from the settings. Cheap: nothing is loaded or contacted until the first embedding.</summary>
public static class EmbedderFactory
{
    /// <summary>
    /// With an endpoint URL, that endpoint and <paramref name="model"/> as its model name; otherwise <paramref name="model"/>
    /// as an ONNX model path, or the built-in all-MiniLM-L6-v2 when it is null.
    /// </summary>
    public static IEmbedder Create(string? model, Uri? endpoint) => endpoint is not null
        ? new OpenAiEmbedder(endpoint, model ?? throw new ArgumentException("An embeddings URL needs a model name (MESHFLEET_EMBEDDING_MODEL).", nameof(model)))
        : new OnnxSentenceEmbedder(model is null ? OnnxModelFiles.BuiltIn : OnnxModelFiles.FromPath(model));
}
