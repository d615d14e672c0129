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
    private readonly AppendStatements _statements;

    // Null with an fsync per commit: SQLite's own checkpoint then costs little beside the commits' fsyncs, and a second
    // connection's fsyncs of the same files only got in their way.
    private readonly WalCheckpointer? _checkpointer;
    private readonly AppendResult[] _groupResults = new AppendResult[MaxGroup];
    private int _disposed;

    // Appends called and not yet answered: an append that finds none in flight may commit on its caller's thread.
    private int _inFlight;

    private SqliteMessageStore(string connectionString, SqliteConnection writer, string storeId, SqliteStoreOptions options, TimeProvider time)
    {
        _connectionString = connectionString;
        _writer = writer;
        _statements = new AppendStatements(writer);
        try
        {
            _checkpointer = options.SyncEveryCommit ? null : new WalCheckpointer(connectionString, SynchronousPragma(options), _writeLock);
        }
        catch
        {
            _statements.Dispose();
            throw;
        }

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
            Execute(writer, SynchronousPragma(options));
            if (!options.SyncEveryCommit)
            {
                Execute(writer, $"PRAGMA wal_autocheckpoint = {WalCheckpointer.WriterThreshold}");
            }
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
    /// throughput grows with concurrency while each caller still returns only after its message is committed. An append
    /// into an idle store commits at once on the caller's thread: handing it to the committer and the result back cost
    /// two thread hops, more than the commit itself. With other appends in flight it queues, so that they share a commit.
    /// </remarks>
    public ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<AppendResult>(cancellationToken);
        }

        // Only when nothing else is queued to run either: a caller that appends in a loop would otherwise complete
        // synchronously every time and keep the callers queued behind it from ever sharing a commit.
        if (Interlocked.Increment(ref _inFlight) == 1 && ThreadPool.PendingWorkItemCount == 0 && _checkpointer?.FarBehind is not true && _writeLock.Wait(0, CancellationToken.None))
        {
            return AppendNow(draft);
        }

        var pending = new PendingAppend(draft);
        if (!_appends.Writer.TryWrite(pending))
        {
            Interlocked.Decrement(ref _inFlight);
            return ValueTask.FromException<AppendResult>(new ObjectDisposedException(GetType().FullName));
        }

        return new ValueTask<AppendResult>(pending.Task.WaitAsync(cancellationToken));
    }

    // Called holding the write lock.
    private ValueTask<AppendResult> AppendNow(MessageDraft draft)
    {
        AppendResult result;
        try
        {
            if (Volatile.Read(ref _disposed) == 1)
            {
                return ValueTask.FromException<AppendResult>(new ObjectDisposedException(GetType().FullName));
            }

            result = AppendAlone(draft);
        }
        catch (Exception ex)
        {
            return ValueTask.FromException<AppendResult>(ex);
        }
        finally
        {
            _writeLock.Release();
            Interlocked.Decrement(ref _inFlight);
        }

        // Hands the message to the tail as the committer does after a group (CommitAppendsAsync).
        if (!result.Duplicate)
        {
            _tail.HandOver(result.Message);
        }

        return new ValueTask<AppendResult>(result);
    }

    private async Task CommitAppendsAsync()
    {
        var batch = new List<PendingAppend>(MaxGroup);
        var committed = new List<MeshMessage>(MaxGroup);
        ChannelReader<PendingAppend> reader = _appends.Reader;
        while (true)
        {
            batch.Clear();
            while (batch.Count < MaxGroup && reader.TryRead(out PendingAppend? pending))
            {
                batch.Add(pending);
            }

            if (batch.Count == 0)
            {
                if (!await reader.WaitToReadAsync().ConfigureAwait(false))
                {
                    break;
                }

                continue;
            }

            if (_checkpointer is not null)
            {
                await _checkpointer.WaitUntilCaughtUpAsync().ConfigureAwait(false);
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

    // Called holding the write lock. The messages it added (not idempotent repeats) go into committed, in seq order.
    private void CommitGroup(List<PendingAppend> batch, List<MeshMessage> committed)
    {
        if (batch.Count == 1)
        {
            Complete(batch[0], committed);
            return;
        }

        AppendResult[] results = _groupResults;
        try
        {
            _statements.Begin();
            for (int i = 0; i < batch.Count; i++)
            {
                results[i] = AppendInTransaction(batch[i].Draft);
            }

            _statements.Commit();
            _checkpointer?.Appended(batch.Count);
        }
        catch (Exception)
        {
            // One bad append must not fail its neighbours: retry each on its own, so only the culprit sees the error.
            _statements.RollbackIfOpen();
            Array.Clear(results);
            foreach (PendingAppend pending in batch)
            {
                Complete(pending, committed);
            }

            return;
        }

        Interlocked.Add(ref _inFlight, -batch.Count);
        for (int i = 0; i < batch.Count; i++)
        {
            if (!results[i].Duplicate)
            {
                committed.Add(results[i].Message);
            }

            batch[i].TrySetResult(results[i]);
            results[i] = null!;
        }
    }

    private void Complete(PendingAppend pending, List<MeshMessage> committed)
    {
        AppendResult result;
        try
        {
            result = AppendAlone(pending.Draft);
        }
        catch (Exception ex)
        {
            Interlocked.Decrement(ref _inFlight);
            pending.TrySetException(ex);
            return;
        }

        Interlocked.Decrement(ref _inFlight);
        if (!result.Duplicate)
        {
            committed.Add(result.Message);
        }

        pending.TrySetResult(result);
    }

    /// <summary>Appends one draft in a transaction of its own; throws what went wrong, explained when SQLite's code says what.</summary>
    private AppendResult AppendAlone(MessageDraft draft)
    {
        try
        {
            _statements.Begin();
            AppendResult result = AppendInTransaction(draft);
            _statements.Commit();
            _checkpointer?.Appended(1);
            return result;
        }
        catch (SqliteException ex)
        {
            _statements.RollbackIfOpen();
            if (SqliteFailure.IsKnown(ex))
            {
                throw SqliteFailure.Explain(ex, Path);
            }

            throw;
        }
        catch
        {
            _statements.RollbackIfOpen();
            throw;
        }
    }

    private AppendResult AppendInTransaction(MessageDraft draft)
    {
        if (draft.IdempotencyKey is not null && _statements.FindByKey(draft.FromAgentId, draft.IdempotencyKey) is { } earlier)
        {
            return new AppendResult(earlier, Duplicate: true);
        }

        return new AppendResult(Insert(draft), Duplicate: false);
    }

    private MeshMessage Insert(MessageDraft draft)
    {
        long seq = _statements.Insert(draft);
        if (draft.AckDueAt is { } due)
        {
            _statements.TrackDelivery(draft, seq, due);
        }

        return new MeshMessage(draft.MessageId, seq, draft.FromAgentId, draft.ToAgentId, draft.Payload, draft.Timestamp, draft.ThreadId, draft.ReplyTo);
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
                messages.Add(AppendInTransaction(draft));
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
                appended = Insert(draft);
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
        if (_checkpointer is not null)
        {
            await _checkpointer.DisposeAsync().ConfigureAwait(false);
        }

        await _writeLock.WaitAsync().ConfigureAwait(false);
        try
        {
            _statements.Dispose();
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

    private static string SynchronousPragma(SqliteStoreOptions options) =>
        options.SyncEveryCommit ? "PRAGMA synchronous = FULL" : "PRAGMA synchronous = NORMAL";

    private static void Execute(SqliteConnection connection, string sql)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        command.ExecuteNonQuery();
    }
}
