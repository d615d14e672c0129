using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// The store's schema, versioned with <c>PRAGMA user_version</c>. Migrations run forward, all in one transaction.
/// </summary>
internal static class SchemaMigrations
{
    private static readonly string[] Steps =
    [
        // v1: the ledger. AUTOINCREMENT keeps seq strictly increasing and never reused.
        """
        CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
        CREATE TABLE messages (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            message_id TEXT NOT NULL UNIQUE,
            from_agent_id TEXT NOT NULL,
            to_agent_id TEXT NOT NULL,
            payload TEXT NOT NULL,
            timestamp INTEGER NOT NULL,
            thread_id TEXT,
            reply_to TEXT,
            idempotency_key TEXT
        ) STRICT;
        CREATE INDEX messages_by_recipient ON messages (to_agent_id, seq);
        CREATE UNIQUE INDEX messages_by_idempotency_key ON messages (from_agent_id, idempotency_key) WHERE idempotency_key IS NOT NULL;
        """,

        // v2: fleets, agents with their presence facts, and delivery state (pushes, acks, redeliveries, dead letters).
        """
        CREATE TABLE fleets (
            fleet_id TEXT PRIMARY KEY,
            description TEXT,
            request_timeout_seconds INTEGER NOT NULL,
            heartbeat_timeout_seconds INTEGER NOT NULL
        ) STRICT;
        CREATE TABLE agents (
            agent_id TEXT PRIMARY KEY,
            name TEXT,
            role TEXT,
            description TEXT,
            fleet_id TEXT,
            registered_at INTEGER NOT NULL,
            heartbeat_at INTEGER,
            streams INTEGER NOT NULL DEFAULT 0,
            streams_seen_at INTEGER,
            offline_reported_at INTEGER
        ) STRICT;
        CREATE INDEX agents_by_fleet ON agents (fleet_id);
        CREATE TABLE deliveries (
            message_id TEXT PRIMARY KEY,
            seq INTEGER NOT NULL,
            from_agent_id TEXT NOT NULL,
            to_agent_id TEXT NOT NULL,
            requires_ack INTEGER NOT NULL DEFAULT 0,
            attempts INTEGER NOT NULL DEFAULT 0,
            next_attempt_at INTEGER,
            pushed_streams INTEGER NOT NULL DEFAULT 0,
            first_pushed_at INTEGER,
            last_pushed_at INTEGER,
            acked_at INTEGER,
            dead_lettered_at INTEGER
        ) STRICT;
        CREATE INDEX deliveries_due ON deliveries (next_attempt_at) WHERE requires_ack = 1 AND acked_at IS NULL AND dead_lettered_at IS NULL;
        """,

        // v3: the way to the model beyond streams: sessions woken with the message (notified) and its first return to
        // its recipient by get_inbox, a long poll or ask (read).
        """
        ALTER TABLE deliveries ADD COLUMN notified_sessions INTEGER NOT NULL DEFAULT 0;
        ALTER TABLE deliveries ADD COLUMN first_notified_at INTEGER;
        ALTER TABLE deliveries ADD COLUMN last_notified_at INTEGER;
        ALTER TABLE deliveries ADD COLUMN read_at INTEGER;
        """,

        // v4: routing. One vector per agent and model (float32 little-endian), with the hash of the text it was made from;
        // and each routed hand-off, so its outcome (who answered, whether it was re-routed) can be read from the ledger later.
        """
        CREATE TABLE agent_embeddings (
            agent_id TEXT NOT NULL,
            model TEXT NOT NULL,
            text_hash TEXT NOT NULL,
            vector BLOB NOT NULL,
            PRIMARY KEY (agent_id, model)
        ) STRICT;
        CREATE TABLE routed_messages (
            message_id TEXT PRIMARY KEY,
            from_agent_id TEXT NOT NULL,
            fleet_id TEXT,
            to_agent_id TEXT NOT NULL,
            score REAL NOT NULL,
            model TEXT NOT NULL,
            routed_at INTEGER NOT NULL
        ) STRICT;
        """,

        // v5: agent identity. Only a hash of each agent's secret key; the key is shown once, when it is made.
        """
        CREATE TABLE agent_keys (
            agent_id TEXT PRIMARY KEY,
            key_hash BLOB NOT NULL UNIQUE,
            created_at INTEGER NOT NULL
        ) STRICT;
        """,
    ];

    public static int Latest => Steps.Length;

    /// <summary>Brings the schema to <see cref="Latest"/>, or refuses a store from a newer Meshfleet.</summary>
    public static void Apply(SqliteConnection connection, string path) => Apply(connection, path, Latest);

    /// <summary>Brings the schema to <paramref name="target"/> (tests build old stores with it).</summary>
    internal static void Apply(SqliteConnection connection, string path, int target)
    {
        using SqliteTransaction transaction = connection.BeginTransaction(deferred: false);
        long version = Scalar(connection, transaction, "PRAGMA user_version");
        if (version > Latest)
        {
            throw new StoreVersionException(
                $"The store at {path} has schema version {version}, written by a newer Meshfleet; this build reads up to version {Latest}. " +
                "Upgrade Meshfleet to open it, or set MESHFLEET_DB to another file.");
        }

        for (long step = version; step < target; step++)
        {
            Execute(connection, transaction, Steps[step]);
        }

        if (version < target)
        {
            Execute(connection, transaction, $"PRAGMA user_version = {target}");
        }

        Execute(connection, transaction, "INSERT OR IGNORE INTO meta (key, value) VALUES ('store_id', lower(hex(randomblob(16))))");
        transaction.Commit();
    }

    private static long Scalar(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return (long)command.ExecuteScalar()!;
    }

    private static void Execute(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
