using Meshfleet.Hosting;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Cli.Doctor;

/// <summary>What <c>meshfleet doctor</c> learns about the store by reading it, never writing (no migration, no verifier added).</summary>
/// <param name="Version">The schema version (<c>PRAGMA user_version</c>), or null when unreadable.</param>
/// <param name="StoreId">The store's id, or null.</param>
/// <param name="Verifier">The token verifier of a protected store, or null when unprotected.</param>
/// <param name="Problem">Why the store cannot be used, or null.</param>
internal sealed record StoreInspection(long? Version, string? StoreId, string? Verifier, string? Problem)
{
    public static StoreInspection Read(string path)
    {
        try
        {
            using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
            connection.Open();
            long version = (long)Scalar(connection, "PRAGMA user_version")!;
            if (version > SqliteSchema.LatestVersion)
            {
                return new StoreInspection(version, null, null, $"schema version {version} was written by a newer Meshfleet (this build reads up to {SqliteSchema.LatestVersion}): upgrade Meshfleet, or set MESHFLEET_DB to another file");
            }

            if (version == 0 || Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'meta'") is 0L)
            {
                return new StoreInspection(version, null, null, "this is an SQLite file but not a Meshfleet store: set MESHFLEET_DB to the mesh's store, or move this file away");
            }

            string? storeId = Scalar(connection, "SELECT value FROM meta WHERE key = 'store_id'") as string;
            string? verifier = Scalar(connection, $"SELECT value FROM meta WHERE key = '{StoreProtection.VerifierKey}'") as string;
            return new StoreInspection(version, storeId, verifier, null);
        }
        catch (SqliteException ex)
        {
            return new StoreInspection(null, null, null, $"cannot be read as a Meshfleet store ({ex.Message.TrimEnd('.')}): it is damaged or not a Meshfleet file; move it away (a new one is created) or restore it from `meshfleet export` output with `meshfleet import`");
        }
    }

    /// <summary>
    /// The hash of the agent's current key, read-only; null when it has none (or the store predates agent keys).
    /// Throws <see cref="SqliteException"/> when the store cannot be read.
    /// </summary>
    public static byte[]? AgentKeyHash(string path, string agentId)
    {
        using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Mode = SqliteOpenMode.ReadOnly, Pooling = false }.ToString());
        connection.Open();
        if (Scalar(connection, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = 'agent_keys'") is 0L)
        {
            return null;
        }

        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT key_hash FROM agent_keys WHERE agent_id = $id";
        command.Parameters.AddWithValue("$id", agentId);
        return command.ExecuteScalar() as byte[];
    }

    private static object? Scalar(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return command.ExecuteScalar();
    }
}
