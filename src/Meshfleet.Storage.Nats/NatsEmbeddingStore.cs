using Meshfleet.Core.Routing;

namespace Meshfleet.Storage.Nats;

/// <summary>Agents' routing vectors, one key per model and agent (<c>model-hash.agent</c>), so one model's vectors list by prefix.</summary>
public sealed class NatsEmbeddingStore : IEmbeddingStore
{
    private readonly NatsMesh _mesh;

    public NatsEmbeddingStore(NatsMesh mesh)
    {
        _mesh = mesh;
    }

    public async ValueTask<IReadOnlyDictionary<string, StoredEmbedding>> GetEmbeddingsAsync(string model, CancellationToken cancellationToken)
    {
        string prefix = NatsNames.Hashed(model) + ".";
        var vectors = new Dictionary<string, StoredEmbedding>(StringComparer.Ordinal);
        await foreach (string key in _mesh.Embeddings.KeysAsync(prefix + "*", cancellationToken).ConfigureAwait(false))
        {
            if ((await _mesh.Embeddings.GetAsync(key, NatsStoreJsonContext.Default.StoredEmbedding, cancellationToken).ConfigureAwait(false)).Value is { } embedding)
            {
                vectors[NatsNames.Untoken(key[prefix.Length..])] = embedding;
            }
        }

        return vectors;
    }

    public async ValueTask SaveEmbeddingAsync(string agentId, string model, StoredEmbedding embedding, CancellationToken cancellationToken) =>
        await _mesh.Embeddings.PutAsync(NatsNames.Hashed(model) + "." + NatsNames.Token(agentId), embedding, NatsStoreJsonContext.Default.StoredEmbedding, cancellationToken).ConfigureAwait(false);
}
