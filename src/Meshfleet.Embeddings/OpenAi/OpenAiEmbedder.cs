using System.Net.Http.Json;
using Meshfleet.Core.Routing;

namespace Meshfleet.Embeddings.OpenAi;

/// <summary>
/// An OpenAI-compatible embeddings endpoint (for example Ollama's http://127.0.0.1:11434/v1/embeddings). Used only when the
/// user sets its URL: Meshfleet itself never reaches the network for routing.
/// </summary>
public sealed class OpenAiEmbedder : IEmbedder, IDisposable
{
    private readonly HttpClient _http;
    private readonly Uri _endpoint;
    private readonly string _model;

    public OpenAiEmbedder(Uri endpoint, string model)
    {
        _endpoint = endpoint;
        _model = model;
        _http = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
    }

    public string Model => $"openai:{_model}@{_endpoint.Authority}";

    public bool IsLoaded => true;

    public async ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http.PostAsJsonAsync(_endpoint, new EmbeddingRequest(_model, text), EmbeddingJsonContext.Default.EmbeddingRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"The embeddings endpoint {_endpoint} answered {(int)response.StatusCode}; check MESHFLEET_EMBEDDING_URL and MESHFLEET_EMBEDDING_MODEL.");
        }

        EmbeddingResponse? body = await response.Content.ReadFromJsonAsync(EmbeddingJsonContext.Default.EmbeddingResponse, cancellationToken).ConfigureAwait(false);
        float[] vector = body?.Data is [{ Embedding: { Length: > 0 } embedding }, ..]
            ? embedding
            : throw new HttpRequestException($"The embeddings endpoint {_endpoint} returned no vector.");
        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        return norm > 0 ? vector.Select(v => (float)(v / norm)).ToArray() : vector;
    }

    public void Dispose() => _http.Dispose();
}
