namespace Meshfleet.Core.Routing;

/// <summary>
/// Agents' text vectors, kept beside the agent directory so every process and a restart reuse them: an agent's text is
/// embedded once per model and per change of its text. Part of the agent directory role (<see cref="Agents.IAgentDirectory"/>).
/// </summary>
public interface IEmbeddingStore
{
    /// <summary>The stored vectors of one model, by agent id.</summary>
    ValueTask<IReadOnlyDictionary<string, StoredEmbedding>> GetEmbeddingsAsync(string model, CancellationToken cancellationToken);

    /// <summary>Stores (or replaces) an agent's vector for a model.</summary>
    ValueTask SaveEmbeddingAsync(string agentId, string model, StoredEmbedding embedding, CancellationToken cancellationToken);
}
