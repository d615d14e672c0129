using System.Runtime.InteropServices;
using Meshfleet.Core.Routing;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>Agents' routing vectors, in the same SQLite file as the agent directory, so every process shares them.</summary>
public sealed class SqliteEmbeddingStore : IEmbeddingStore
{
    private readonly SqliteMessageStore _store;

    public SqliteEmbeddingStore(SqliteMessageStore store)
    {
        _store = store;
    }

    public async ValueTask<IReadOnlyDictionary<string, StoredEmbedding>> GetEmbeddingsAsync(string model, CancellationToken cancellationToken)
    {
        List<(string AgentId, StoredEmbedding Embedding)> rows = await _store.ReadAsync(
            "SELECT agent_id, text_hash, vector FROM agent_embeddings WHERE model = $model",
            c => c.Parameters.AddWithValue("$model", model),
            r => (r.GetString(0), new StoredEmbedding(r.GetString(1), MemoryMarshal.Cast<byte, float>((byte[])r.GetValue(2)).ToArray())),
            cancellationToken).ConfigureAwait(false);
        return rows.ToDictionary(r => r.AgentId, r => r.Embedding, StringComparer.Ordinal);
    }

    public async ValueTask SaveEmbeddingAsync(string agentId, string model, StoredEmbedding embedding, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT INTO agent_embeddings (agent_id, model, text_hash, vector) VALUES ($id, $model, $hash, $vector)
                    ON CONFLICT (agent_id, model) DO UPDATE SET text_hash = $hash, vector = $vector
                    """;
                command.Parameters.AddWithValue("$id", agentId);
                command.Parameters.AddWithValue("$model", model);
                command.Parameters.AddWithValue("$hash", embedding.TextHash);
                command.Parameters.AddWithValue("$vector", MemoryMarshal.AsBytes(embedding.Vector.AsSpan()).ToArray());
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);
}
