using Meshfleet.Core.Routing;

namespace Meshfleet.Storage.InMemory;

/// <summary>What routing stores about agents in an in-memory store (agent directory role): vectors and routed hand-offs.</summary>
internal sealed class InMemoryRouting : IEmbeddingStore, IRouteLog
{
    private readonly InMemoryState _state;

    public InMemoryRouting(InMemoryState state)
    {
        _state = state;
    }

    public ValueTask<IReadOnlyDictionary<string, StoredEmbedding>> GetEmbeddingsAsync(string model, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<IReadOnlyDictionary<string, StoredEmbedding>>(_state.Embeddings
                .Where(e => string.Equals(e.Key.Model, model, StringComparison.Ordinal))
                .ToDictionary(e => e.Key.AgentId, e => e.Value, StringComparer.Ordinal));
        }
    }

    public ValueTask SaveEmbeddingAsync(string agentId, string model, StoredEmbedding embedding, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            _state.Embeddings[(model, agentId)] = embedding;
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Records a routed hand-off; a second record for the same message is ignored, as in SQLite.</summary>
    public ValueTask RecordAsync(RouteRecord record, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            _state.Routes.TryAdd(record.MessageId, record);
        }

        return ValueTask.CompletedTask;
    }
}
