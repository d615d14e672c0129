using System.Threading.Channels;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// The embedded store: one SQLite file in WAL mode, shared safely by every process that opens it.
/// Appends from this process go through one write connection; readers use their own pooled connections and never block it.
/// </summary>
public sealed class SqliteMessageStore : IMessageLog, IAsyncDisposable
{
    internal const string Columns = "seq, message_id, from_agent_id, to_agent_id, payload, timestamp, thread_id, reply_to";
    private readonly string _connectionString;
    private readonly SqliteConnection _writer;
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private const int MaxGroup = 512;
    private readonly CursorTail _tail;
    private readonly Channel<PendingAppend> _appends = Channel.CreateUnbounded<PendingAppend>(new UnboundedChannelOptions { SingleReader = true });
    private readonly Task _committer;
    private int _disposed;
    private SqliteCommand? _insertMessage;

    private SqliteMessageStore(string connectionString, SqliteConnection writer, string storeId, SqliteStoreOptions options, TimeProvider time)
    {
        _connectionString = connectionString;
        _writer = writer;
        StoreId = storeId;
        Path = options.Path;
        _tail = new CursorTail(ReadAfterAsync, options.PollInterval, time);
        _committer = Task.Run(CommitAppendsAsync);
    }

    /// <summary>
    /// SQLite's answers where backends differ: keys are kept forever (a unique index), a batch is one transaction with the
    /// delivery state beside it, and other processes' appends reach a tail only at its poll unless the host wakes it.
    /// </summary>
    public static StorageTraits SqliteTraits { get; } = new(
        Backend: "sqlite",
        IdempotencyWindow: null,
        AtomicBatchAppend: true,
        AtomicAcrossRoles: true,
        NeedsExternalChangeSignal: true,
        Durable: true);

    /// <inheritdoc />
    public string StoreId { get; }

    /// <inheritdoc />
    public StorageTraits Traits => SqliteTraits;

    /// <summary>The database file.</summary>
    public string Path { get; }

    /// <summary>Opens (creating and migrating when needed) the store at <see cref="SqliteStoreOptions.Path"/>.</summary>
    public static SqliteMessageStore Open(SqliteStoreOptions options, TimeProvider time)
    {
        string path = System.IO.Path.GetFullPath(options.Path);
        string? directory = System.IO.Path.GetDirectoryName(path);
        try
        {
            if (!string.IsNullOrEmpty(directory))
            {
                Directory.CreateDirectory(directory);
            }
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new StoreFailureException($"The folder for the Meshfleet store cannot be created (store: {path}; {ex.Message}). Check the path and its permissions, or set MESHFLEET_DB / --db to a writable file.", ex);
        }

        string connectionString = new SqliteConnectionStringBuilder
        {
            DataSource = path,
            Mode = SqliteOpenMode.ReadWriteCreate,
            Pooling = true,
            DefaultTimeout = 30,
        }.ToString();

        var writer = new SqliteConnection(connectionString);
        try
        {
            writer.Open();
            Execute(writer, "PRAGMA busy_timeout = 10000");
            Execute(writer, "PRAGMA journal_mode = WAL");
            Execute(writer, options.SyncEveryCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL");
            if (options.MaxPageCount is { } pages)
            {
                Execute(writer, $"PRAGMA max_page_count = {pages}");
            }

            SqliteFailure.ThrowIfDamaged(writer, path);
            SchemaMigrations.Apply(writer, path);
            using SqliteCommand command = writer.CreateCommand();
            command.CommandText = "SELECT value FROM meta WHERE key = 'store_id'";
            string storeId = (string)command.ExecuteScalar()!;
            return new SqliteMessageStore(connectionString, writer, storeId, options with { Path = path }, time);
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            writer.Dispose();
            throw SqliteFailure.Explain(ex, path);
        }
        catch
        {
            writer.Dispose();
            throw;
        }
    }

    /// <inheritdoc />
    /// <remarks>
    /// Group commit: concurrent appends queue up and the writer commits everything queued in one transaction, so
    /// throughput grows with concurrency while each caller still returns only after its message is committed.
    /// </remarks>
    public async ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        var pending = new PendingAppend(draft);
        ObjectDisposedException.ThrowIf(!_appends.Writer.TryWrite(pending), this);

        return await pending.Done.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    private async Task CommitAppendsAsync()
    {
        var batch = new List<PendingAppend>(MaxGroup);
        var committed = new List<MeshMessage>(MaxGroup);
        ChannelReader<PendingAppend> reader = _appends.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            batch.Clear();
            while (batch.Count < MaxGroup && reader.TryRead(out PendingAppend? pending))
            {
                batch.Add(pending);
            }

            committed.Clear();
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                CommitGroup(batch, committed);
            }
            finally
            {
                _writeLock.Release();
            }

            // The tail (this process's delivery pump) takes these as they are, without reading them back.
            _tail.HandOver(committed);
        }
    }

    /// <summary>Commits a group; the messages it added (not idempotent repeats) go into <paramref name="committed"/> in seq order.</summary>
    private void CommitGroup(List<PendingAppend> batch, List<MeshMessage> committed)
    {
        var results = new AppendResult[batch.Count];
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
            for (int i = 0; i < batch.Count; i++)
            {
                results[i] = AppendInTransaction(transaction, batch[i].Draft);
            }

            transaction.Commit();
        }
        catch (Exception) when (batch.Count > 1)
        {
            // One bad append must not fail its neighbours: retry each on its own, so only the culprit sees the error.
            foreach (PendingAppend pending in batch)
            {
                CommitGroup([pending], committed);
            }

            return;
        }
        catch (Exception ex)
        {
            batch[0].Done.TrySetException(ex is SqliteException sqlite && SqliteFailure.IsKnown(sqlite) ? SqliteFailure.Explain(sqlite, Path) : ex);
            return;
        }

        for (int i = 0; i < batch.Count; i++)
        {
            if (!results[i].Duplicate)
            {
                committed.Add(results[i].Message);
            }

            batch[i].Done.TrySetResult(results[i]);
        }
    }

    private AppendResult AppendInTransaction(SqliteTransaction transaction, MessageDraft draft)
    {
        if (draft.IdempotencyKey is not null)
        {
            using SqliteCommand find = _writer.CreateCommand();
            find.Transaction = transaction;
            find.CommandText = $"SELECT {Columns} FROM messages WHERE from_agent_id = $from AND idempotency_key = $key";
            find.Parameters.AddWithValue("$from", draft.FromAgentId);
            find.Parameters.AddWithValue("$key", draft.IdempotencyKey);
            using SqliteDataReader reader = find.ExecuteReader();
            if (reader.Read())
            {
                return new AppendResult(ReadMessage(reader), Duplicate: true);
            }
        }

        return new AppendResult(Insert(transaction, draft), Duplicate: false);
    }

    private MeshMessage Insert(SqliteTransaction transaction, MessageDraft draft)
    {
        // One prepared statement, reused under the write lock: parsing the INSERT again for every message cost more than running it.
        SqliteCommand insert = _insertMessage ??= PrepareInsert();
        insert.Transaction = transaction;
        insert.Parameters[0].Value = draft.MessageId;
        insert.Parameters[1].Value = draft.FromAgentId;
        insert.Parameters[2].Value = draft.ToAgentId;
        insert.Parameters[3].Value = draft.Payload;
        insert.Parameters[4].Value = draft.Timestamp;
        insert.Parameters[5].Value = (object?)draft.ThreadId ?? DBNull.Value;
        insert.Parameters[6].Value = (object?)draft.ReplyTo ?? DBNull.Value;
        insert.Parameters[7].Value = (object?)draft.IdempotencyKey ?? DBNull.Value;
        long seq = (long)insert.ExecuteScalar()!;
        if (draft.AckDueAt is { } due)
        {
            using SqliteCommand track = _writer.CreateCommand();
            track.Transaction = transaction;
            track.CommandText = """
                INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, requires_ack, next_attempt_at)
                VALUES ($id, $seq, $from, $to, 1, $due)
                """;
            track.Parameters.AddWithValue("$id", draft.MessageId);
            track.Parameters.AddWithValue("$seq", seq);
            track.Parameters.AddWithValue("$from", draft.FromAgentId);
            track.Parameters.AddWithValue("$to", draft.ToAgentId);
            track.Parameters.AddWithValue("$due", due);
            track.ExecuteNonQuery();
        }

        return new MeshMessage(draft.MessageId, seq, draft.FromAgentId, draft.ToAgentId, draft.Payload, draft.Timestamp, draft.ThreadId, draft.ReplyTo);
    }

    private SqliteCommand PrepareInsert()
    {
        SqliteCommand insert = _writer.CreateCommand();
        insert.CommandText = """
            INSERT INTO messages (message_id, from_agent_id, to_agent_id, payload, timestamp, thread_id, reply_to, idempotency_key)
            VALUES ($id, $from, $to, $payload, $ts, $thread, $reply, $key) RETURNING seq
            """;
        foreach ((string name, SqliteType type) in new[]
        {
            ("$id", SqliteType.Text), ("$from", SqliteType.Text), ("$to", SqliteType.Text), ("$payload", SqliteType.Text),
            ("$ts", SqliteType.Integer), ("$thread", SqliteType.Text), ("$reply", SqliteType.Text), ("$key", SqliteType.Text),
        })
        {
            insert.Parameters.Add(name, type);
        }

        return insert;
    }

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken)
    {
        var messages = new List<AppendResult>(drafts.Count);
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
            foreach (MessageDraft draft in drafts)
            {
                messages.Add(AppendInTransaction(transaction, draft));
            }

            transaction.Commit();
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            throw SqliteFailure.Explain(ex, Path);
        }
        finally
        {
            _writeLock.Release();
        }

        _tail.HandOver([.. messages.Where(m => !m.Duplicate).Select(m => m.Message)]);

        return messages;
    }

    /// <inheritdoc />
    public async ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        IReadOnlyList<MeshMessage> found = await QueryAsync(
            $"SELECT {Columns} FROM messages WHERE message_id = $id",
            command => command.Parameters.AddWithValue("$id", messageId),
            cancellationToken).ConfigureAwait(false);
        return found.Count > 0 ? found[0] : null;
    }

    /// <summary>Runs a write in its own immediate transaction on the shared write connection.</summary>
    internal async ValueTask<T> WriteAsync<T>(Func<SqliteConnection, SqliteTransaction, T> write, CancellationToken cancellationToken)
    {
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
            T result = write(_writer, transaction);
            transaction.Commit();
            return result;
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            throw SqliteFailure.Explain(ex, Path);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    /// <summary>
    /// Runs <paramref name="condition"/> and, when it returns true, appends <paramref name="draft"/>, all in one immediate
    /// transaction: a state change and the message that announces it commit together or not at all.
    /// </summary>
    internal async ValueTask<MeshMessage?> AppendIfAsync(Func<SqliteConnection, SqliteTransaction, bool> condition, MessageDraft draft, CancellationToken cancellationToken)
    {
        MeshMessage? appended = null;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
            if (condition(_writer, transaction))
            {
                appended = Insert(transaction, draft);
            }

            transaction.Commit();
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            throw SqliteFailure.Explain(ex, Path);
        }
        finally
        {
            _writeLock.Release();
        }

        if (appended is not null)
        {
            _tail.Wake();
        }

        return appended;
    }

    /// <summary>Runs a read on a pooled connection of its own.</summary>
    internal async ValueTask<List<T>> ReadAsync<T>(string sql, Action<SqliteCommand> bind, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        try
        {
            return await ReadRowsAsync(sql, bind, map, cancellationToken).ConfigureAwait(false);
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            throw SqliteFailure.Explain(ex, Path);
        }
    }

    private async ValueTask<List<T>> ReadRowsAsync<T>(string sql, Action<SqliteCommand> bind, Func<SqliteDataReader, T> map, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection(_connectionString);
        await connection.OpenAsync(cancellationToken).ConfigureAwait(false);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        bind(command);
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(cancellationToken).ConfigureAwait(false);
        var rows = new List<T>();
        while (await reader.ReadAsync(cancellationToken).ConfigureAwait(false))
        {
            rows.Add(map(reader));
        }

        return rows;
    }

    /// <inheritdoc />
    public async ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken)
    {
        int added = 0;
        await _writeLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            using SqliteTransaction transaction = _writer.BeginTransaction(deferred: false);
            using SqliteCommand insert = _writer.CreateCommand();
            insert.Transaction = transaction;
            insert.CommandText = """
                INSERT OR IGNORE INTO messages (message_id, from_agent_id, to_agent_id, payload, timestamp, thread_id, reply_to)
                VALUES ($id, $from, $to, $payload, $ts, $thread, $reply)
                """;
            SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
            SqliteParameter from = insert.Parameters.Add("$from", SqliteType.Text);
            SqliteParameter to = insert.Parameters.Add("$to", SqliteType.Text);
            SqliteParameter payload = insert.Parameters.Add("$payload", SqliteType.Text);
            SqliteParameter ts = insert.Parameters.Add("$ts", SqliteType.Integer);
            SqliteParameter thread = insert.Parameters.Add("$thread", SqliteType.Text);
            SqliteParameter reply = insert.Parameters.Add("$reply", SqliteType.Text);
            insert.Prepare();
            foreach (MeshMessage message in batch)
            {
                id.Value = message.MessageId;
                from.Value = message.FromAgentId;
                to.Value = message.ToAgentId;
                payload.Value = message.Payload;
                ts.Value = message.Timestamp;
                thread.Value = (object?)message.ThreadId ?? DBNull.Value;
                reply.Value = (object?)message.ReplyTo ?? DBNull.Value;
                added += insert.ExecuteNonQuery();
            }

            transaction.Commit();
        }
        catch (SqliteException ex) when (SqliteFailure.IsKnown(ex))
        {
            throw SqliteFailure.Explain(ex, Path);
        }
        finally
        {
            _writeLock.Release();
        }

        if (added > 0)
        {
            _tail.Wake();
        }

        return added;
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {Columns} FROM messages WHERE to_agent_id = $agent AND seq > $after ORDER BY seq LIMIT $limit",
            command =>
            {
                command.Parameters.AddWithValue("$agent", agentId);
                command.Parameters.AddWithValue("$after", afterSeq);
                command.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        QueryAsync(
            $"SELECT {Columns} FROM messages WHERE seq > $after ORDER BY seq LIMIT $limit",
            command =>
            {
                command.Parameters.AddWithValue("$after", afterSeq);
                command.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);

    /// <inheritdoc />
    public async ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken) =>
        (await ReadAsync("SELECT COALESCE(MAX(seq), 0) FROM messages", _ => { }, r => r.GetInt64(0), cancellationToken).ConfigureAwait(false))[0];

    /// <inheritdoc />
    public IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken) =>
        _tail.ReadAsync(afterSeq, cancellationToken);

    /// <summary>
    /// Tells the tail that another process may have appended, so it looks now rather than at its next poll: the hook of
    /// the host's cross-process change signal (<see cref="StorageTraits.NeedsExternalChangeSignal"/>).
    /// </summary>
    public void NotifyExternalAppend() => _tail.Wake();

    /// <summary>Runs <c>PRAGMA integrity_check</c>; returns "ok" for a sound file.</summary>
    public async ValueTask<string> CheckIntegrityAsync(CancellationToken cancellationToken) =>
        (await ReadAsync("PRAGMA integrity_check", _ => { }, r => r.GetString(0), cancellationToken).ConfigureAwait(false))[0];

    public async ValueTask DisposeAsync()
    {
        // The host registers the store under two service types; the second dispose has nothing left to do.
        if (Interlocked.Exchange(ref _disposed, 1) == 1)
        {
            return;
        }

        _appends.Writer.TryComplete();
        await _committer.ConfigureAwait(false);
        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _insertMessage?.Dispose();
            await _writer.DisposeAsync().ConfigureAwait(false);
        }
        finally
        {
            _writeLock.Release();
        }

        SqliteConnection.ClearPool(new SqliteConnection(_connectionString));
    }

    internal async ValueTask<IReadOnlyList<MeshMessage>> QueryAsync(string sql, Action<SqliteCommand> bind, CancellationToken cancellationToken) =>
        await ReadAsync(sql, bind, ReadMessage, cancellationToken).ConfigureAwait(false);

    private static MeshMessage ReadMessage(SqliteDataReader reader) => new(
        MessageId: reader.GetString(1),
        Seq: reader.GetInt64(0),
        FromAgentId: reader.GetString(2),
        ToAgentId: reader.GetString(3),
        Payload: reader.GetString(4),
        Timestamp: reader.GetInt64(5),
        ThreadId: reader.IsDBNull(6) ? null : reader.GetString(6),
        ReplyTo: reader.IsDBNull(7) ? null : reader.GetString(7));

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
