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
        try
        {
            return await RequestAsync(text, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or System.Text.Json.JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
        {
            throw new RoutingUnavailableException($"Routing could not embed through {_endpoint}: {ex.Message} Check MESHFLEET_EMBEDDING_URL and MESHFLEET_EMBEDDING_MODEL, or unset the URL to use the built-in model.", ex);
        }
    }

    public void Dispose() => _http.Dispose();

    private async Task<float[]> RequestAsync(string text, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await _http.PostAsJsonAsync(_endpoint, new EmbeddingRequest(_model, text), EmbeddingJsonContext.Default.EmbeddingRequest, cancellationToken).ConfigureAwait(false);
        if (!response.IsSuccessStatusCode)
        {
            throw new HttpRequestException($"it answered {(int)response.StatusCode}.");
        }

        EmbeddingResponse? body = await response.Content.ReadFromJsonAsync(EmbeddingJsonContext.Default.EmbeddingResponse, cancellationToken).ConfigureAwait(false);
        float[] vector = body?.Data is [{ Embedding: { Length: > 0 } embedding }, ..]
            ? embedding
            : throw new HttpRequestException("it returned no vector.");
        double norm = Math.Sqrt(vector.Sum(v => (double)v * v));
        return norm > 0 ? vector.Select(v => (float)(v / norm)).ToArray() : vector;
    }
}
