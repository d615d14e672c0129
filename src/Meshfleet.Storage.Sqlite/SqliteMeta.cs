using Meshfleet.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// The store's own facts, kept in its <c>meta</c> table so that every process sharing the file sees the same ones
/// (whether the mesh is token-protected, which process runs the store's duties).
/// </summary>
public sealed class SqliteMeta : IStoreMeta
{
    private readonly SqliteMessageStore _store;

    public SqliteMeta(SqliteMessageStore store)
    {
        _store = store;
    }

    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        List<string> found = await _store.ReadAsync(
            "SELECT value FROM meta WHERE key = $key",
            command => command.Parameters.AddWithValue("$key", key),
            reader => reader.GetString(0),
            cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>Stores <paramref name="value"/> unless the key already holds one; returns what the key holds afterwards.</summary>
    public ValueTask<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand insert = Command(connection, transaction, "INSERT OR IGNORE INTO meta (key, value) VALUES ($key, $value)", key, value);
                insert.ExecuteNonQuery();
                using SqliteCommand select = Command(connection, transaction, "SELECT value FROM meta WHERE key = $key", key, null);
                return (string)select.ExecuteScalar()!;
            },
            cancellationToken);

    /// <summary>
    /// Compare-and-swap: sets the key to <paramref name="value"/> (null removes it) only while it still holds
    /// <paramref name="expected"/> (null: absent). Returns whether it did.
    /// </summary>
    public ValueTask<bool> TryReplaceAsync(string key, string? expected, string? value, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand select = Command(connection, transaction, "SELECT value FROM meta WHERE key = $key", key, null);
                if (!string.Equals(select.ExecuteScalar() as string, expected, StringComparison.Ordinal))
                {
                    return false;
                }

                using SqliteCommand write = value is null
                    ? Command(connection, transaction, "DELETE FROM meta WHERE key = $key", key, null)
                    : Command(connection, transaction, "INSERT INTO meta (key, value) VALUES ($key, $value) ON CONFLICT (key) DO UPDATE SET value = $value", key, value);
                write.ExecuteNonQuery();
                return true;
            },
            cancellationToken);

    private static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql, string key, string? value)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.Parameters.AddWithValue("$key", key);
        if (value is not null)
        {
            command.Parameters.AddWithValue("$value", value);
        }

        return command;
    }
}
