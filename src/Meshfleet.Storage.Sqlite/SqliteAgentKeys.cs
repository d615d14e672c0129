using Meshfleet.Core.Agents;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>Agent key hashes, in the same SQLite file as the ledger (table <c>agent_keys</c>).</summary>
public sealed class SqliteAgentKeys : IAgentKeyStore
{
    private readonly SqliteMessageStore _store;

    public SqliteAgentKeys(SqliteMessageStore store)
    {
        _store = store;
    }

    public async ValueTask<string?> FindAgentAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        List<string> rows = await _store.ReadAsync("SELECT agent_id FROM agent_keys WHERE key_hash = $hash", c => c.Parameters.AddWithValue("$hash", keyHash), r => r.GetString(0), cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async ValueTask<byte[]?> GetKeyHashAsync(string agentId, CancellationToken cancellationToken)
    {
        List<byte[]> rows = await _store.ReadAsync("SELECT key_hash FROM agent_keys WHERE agent_id = $id", c => c.Parameters.AddWithValue("$id", agentId), r => (byte[])r.GetValue(0), cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public ValueTask<bool> ClaimAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken) =>
        Write("INSERT INTO agent_keys (agent_id, key_hash, created_at) VALUES ($id, $hash, $now) ON CONFLICT (agent_id) DO NOTHING", agentId, keyHash, now, cancellationToken);

    public async ValueTask ReplaceAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken) =>
        await Write("INSERT INTO agent_keys (agent_id, key_hash, created_at) VALUES ($id, $hash, $now) ON CONFLICT (agent_id) DO UPDATE SET key_hash = $hash, created_at = $now", agentId, keyHash, now, cancellationToken).ConfigureAwait(false);

    public ValueTask<bool> RevokeAsync(string agentId, CancellationToken cancellationToken) =>
        Write("DELETE FROM agent_keys WHERE agent_id = $id", agentId, null, 0, cancellationToken);

    private ValueTask<bool> Write(string sql, string agentId, byte[]? keyHash, long now, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = sql;
                command.Parameters.AddWithValue("$id", agentId);
                if (keyHash is not null)
                {
                    command.Parameters.AddWithValue("$hash", keyHash);
                    command.Parameters.AddWithValue("$now", now);
                }

                return command.ExecuteNonQuery() > 0;
            },
            cancellationToken);
}
