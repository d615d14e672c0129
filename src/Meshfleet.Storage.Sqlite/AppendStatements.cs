using System.Buffers;
using System.Diagnostics;
using System.Text;
using Meshfleet.Core.Messaging;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// The append path's statements, prepared once on the write connection and run through SQLite's own API. Through
/// ADO.NET every append looked up each parameter by name, copied each string into a new UTF-8 array, boxed the
/// timestamp, built a data reader for the returned seq and prepared BEGIN and COMMIT again for every transaction:
/// most of the managed cost of an append. Only the writer uses these, always under the store's write lock.
/// </summary>
internal sealed class AppendStatements : IDisposable
{
    // Strings up to this many UTF-8 bytes are encoded on the stack; longer ones (payloads) in a rented buffer.
    private const int StackEncodeLimit = 1024;

    private readonly sqlite3 _db;
    private readonly TimeSpan _busyTimeout;
    private readonly sqlite3_stmt _begin;
    private readonly sqlite3_stmt _commit;
    private readonly sqlite3_stmt _rollback;
    private readonly sqlite3_stmt _insert;
    private readonly sqlite3_stmt _findByKey;
    private readonly sqlite3_stmt _track;

    public AppendStatements(SqliteConnection writer)
    {
        _db = writer.Handle ?? throw new InvalidOperationException("The write connection must be open before its statements are prepared.");
        _busyTimeout = TimeSpan.FromSeconds(writer.DefaultTimeout);
        _begin = Prepare("BEGIN IMMEDIATE");
        _commit = Prepare("COMMIT");
        _rollback = Prepare("ROLLBACK");
        _insert = Prepare("""
            INSERT INTO messages (message_id, from_agent_id, to_agent_id, payload, timestamp, thread_id, reply_to, idempotency_key)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8) RETURNING seq
            """);
        _findByKey = Prepare($"SELECT {SqliteMessageStore.Columns} FROM messages WHERE from_agent_id = ?1 AND idempotency_key = ?2");
        _track = Prepare("""
            INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, requires_ack, next_attempt_at)
            VALUES (?1, ?2, ?3, ?4, 1, ?5)
            """);
    }

    /// <summary>Starts an immediate transaction: the write lock is taken now, so no statement inside it waits for another process.</summary>
    /// <remarks>
    /// Another process holding the write lock longer than busy_timeout is waited out up to the connection's timeout, as
    /// ADO.NET's BEGIN did.
    /// </remarks>
    public void Begin()
    {
        long start = Stopwatch.GetTimestamp();
        int rc;
        while ((rc = raw.sqlite3_step(_begin)) is raw.SQLITE_BUSY or raw.SQLITE_LOCKED && Stopwatch.GetElapsedTime(start) < _busyTimeout)
        {
            raw.sqlite3_reset(_begin);
            Thread.Sleep(150);
        }

        raw.sqlite3_reset(_begin);
        Check(rc, raw.SQLITE_DONE);
    }

    public void Commit() => Run(_commit);

    /// <summary>
    /// Rolls back the open transaction, if SQLite has not already done so itself (it does on some errors, a full disk
    /// among them). Its own result is ignored: the caller reports the error that made it roll back.
    /// </summary>
    public void RollbackIfOpen()
    {
        if (raw.sqlite3_get_autocommit(_db) == 0)
        {
            raw.sqlite3_step(_rollback);
            raw.sqlite3_reset(_rollback);
        }
    }

    /// <summary>The message <paramref name="fromAgentId"/> stored earlier under <paramref name="idempotencyKey"/>, if any.</summary>
    public MeshMessage? FindByKey(string fromAgentId, string idempotencyKey)
    {
        try
        {
            Check(BindText(_findByKey, 1, fromAgentId));
            Check(BindText(_findByKey, 2, idempotencyKey));
            int rc = raw.sqlite3_step(_findByKey);
            if (rc == raw.SQLITE_DONE)
            {
                return null;
            }

            Check(rc, raw.SQLITE_ROW);
            return new MeshMessage(
                MessageId: Text(_findByKey, 1)!,
                Seq: raw.sqlite3_column_int64(_findByKey, 0),
                FromAgentId: Text(_findByKey, 2)!,
                ToAgentId: Text(_findByKey, 3)!,
                Payload: Text(_findByKey, 4)!,
                Timestamp: raw.sqlite3_column_int64(_findByKey, 5),
                ThreadId: Text(_findByKey, 6),
                ReplyTo: Text(_findByKey, 7));
        }
        finally
        {
            // A stepped SELECT holds its read open until reset.
            raw.sqlite3_reset(_findByKey);
        }
    }

    /// <summary>Inserts <paramref name="draft"/> and returns the seq SQLite gave it.</summary>
    public long Insert(MessageDraft draft)
    {
        try
        {
            Check(BindText(_insert, 1, draft.MessageId));
            Check(BindText(_insert, 2, draft.FromAgentId));
            Check(BindText(_insert, 3, draft.ToAgentId));
            Check(BindText(_insert, 4, draft.Payload));
            Check(raw.sqlite3_bind_int64(_insert, 5, draft.Timestamp));
            Check(BindTextOrNull(_insert, 6, draft.ThreadId));
            Check(BindTextOrNull(_insert, 7, draft.ReplyTo));
            Check(BindTextOrNull(_insert, 8, draft.IdempotencyKey));
            Check(raw.sqlite3_step(_insert), raw.SQLITE_ROW);
            return raw.sqlite3_column_int64(_insert, 0);
        }
        finally
        {
            raw.sqlite3_reset(_insert);
        }
    }

    /// <summary>Records that the message at <paramref name="seq"/> must be acked, its first redelivery due at <paramref name="dueAt"/>.</summary>
    public void TrackDelivery(MessageDraft draft, long seq, long dueAt)
    {
        try
        {
            Check(BindText(_track, 1, draft.MessageId));
            Check(raw.sqlite3_bind_int64(_track, 2, seq));
            Check(BindText(_track, 3, draft.FromAgentId));
            Check(BindText(_track, 4, draft.ToAgentId));
            Check(raw.sqlite3_bind_int64(_track, 5, dueAt));
            Check(raw.sqlite3_step(_track), raw.SQLITE_DONE);
        }
        finally
        {
            raw.sqlite3_reset(_track);
        }
    }

    public void Dispose()
    {
        foreach (sqlite3_stmt statement in (ReadOnlySpan<sqlite3_stmt>)[_begin, _commit, _rollback, _insert, _findByKey, _track])
        {
            statement.Dispose();
        }
    }

    private sqlite3_stmt Prepare(string sql)
    {
        Check(raw.sqlite3_prepare_v3(_db, sql, raw.SQLITE_PREPARE_PERSISTENT, out sqlite3_stmt statement));
        return statement;
    }

    private void Run(sqlite3_stmt statement)
    {
        try
        {
            Check(raw.sqlite3_step(statement), raw.SQLITE_DONE);
        }
        finally
        {
            raw.sqlite3_reset(statement);
        }
    }

    // The same UTF-8 as ADO.NET bound (invalid UTF-16 becomes U+FFFD), without an array per string.
    private static int BindText(sqlite3_stmt statement, int index, string value)
    {
        if (value.Length <= StackEncodeLimit / 3)
        {
            Span<byte> buffer = stackalloc byte[StackEncodeLimit];
            return raw.sqlite3_bind_text(statement, index, buffer[..Encoding.UTF8.GetBytes(value, buffer)]);
        }

        byte[] rented = ArrayPool<byte>.Shared.Rent(Encoding.UTF8.GetByteCount(value));
        try
        {
            // SQLite copies the text while binding (SQLITE_TRANSIENT), so the buffer can go back at once.
            return raw.sqlite3_bind_text(statement, index, rented.AsSpan(0, Encoding.UTF8.GetBytes(value, rented)));
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(rented);
        }
    }

    private static int BindTextOrNull(sqlite3_stmt statement, int index, string? value) =>
        value is null ? raw.sqlite3_bind_null(statement, index) : BindText(statement, index, value);

    private static string? Text(sqlite3_stmt statement, int column) =>
        raw.sqlite3_column_type(statement, column) == raw.SQLITE_NULL ? null : raw.sqlite3_column_text(statement, column).utf8_to_string();

    private void Check(int rc, int expected = raw.SQLITE_OK)
    {
        if (rc != expected)
        {
            // The same exception ADO.NET throws, so callers and SqliteFailure see no difference.
            SqliteException.ThrowExceptionForRC(rc == raw.SQLITE_OK || rc == raw.SQLITE_ROW || rc == raw.SQLITE_DONE ? raw.SQLITE_MISUSE : rc, _db);
        }
    }
}
