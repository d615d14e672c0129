using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Storage.Compliance;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Meshfleet.Storage.Sqlite.Tests;

public sealed class SqliteMessageStoreTests : MessageLogCompliance, IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshfleet-store-").FullName;

    private string DatabasePath => Path.Combine(_directory, "nested", "mesh.db");

    protected override StoreFactory CreateFactory() => new SqliteStoreFactory();

    private SqliteMessageStore OpenSqlite() => SqliteMessageStore.Open(
        new SqliteStoreOptions { Path = DatabasePath, PollInterval = TimeSpan.FromSeconds(30) },
        TimeProvider.System);

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Store_file_is_in_wal_mode_with_current_schema_version()
    {
        await using SqliteMessageStore store = OpenSqlite();
        await using var connection = new SqliteConnection($"Data Source={DatabasePath}");
        await connection.OpenAsync();
        Assert.Equal("wal", await ScalarAsync(connection, "PRAGMA journal_mode"));
        Assert.Equal((long)SchemaMigrations.Latest, await ScalarAsync(connection, "PRAGMA user_version"));
        Assert.Equal("ok", await store.CheckIntegrityAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Store_from_a_newer_meshfleet_is_refused_with_the_version_needed()
    {
        await using (SqliteMessageStore store = OpenSqlite())
        {
            await store.AppendAsync(Draft("a", "b", "kept"), CancellationToken.None);
        }

        SqliteConnection.ClearAllPools();
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            await connection.OpenAsync();
            await using SqliteCommand command = connection.CreateCommand();
            command.CommandText = "PRAGMA user_version = 99";
            await command.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        StoreVersionException refused = Assert.Throws<StoreVersionException>(() => OpenSqlite());
        Assert.Contains("schema version 99", refused.Message, StringComparison.Ordinal);
        Assert.Contains($"up to version {SchemaMigrations.Latest}", refused.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tail_finds_another_handles_append_by_polling_when_no_wake_arrives()
    {
        await using SqliteMessageStore reader = SqliteMessageStore.Open(
            new SqliteStoreOptions { Path = DatabasePath, PollInterval = TimeSpan.FromMilliseconds(20) }, TimeProvider.System);
        await using SqliteMessageStore writer = OpenSqlite();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = reader.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);
        ValueTask<bool> next = tail.MoveNextAsync();
        MeshMessage sent = (await writer.AppendAsync(Draft("a", "b", "no wake"), CancellationToken.None)).Message;
        Assert.True(await next);
        Assert.Equal(sent, tail.Current);
    }

    [Fact]
    public async Task Tail_yields_its_own_commits_and_reads_another_handles_commit_found_between_them()
    {
        // Both poll every 30 s: only the hand-over of the reader's own commits, and the read its gap forces, can deliver.
        await using SqliteMessageStore reader = OpenSqlite();
        await using SqliteMessageStore other = OpenSqlite();
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = reader.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);
        ValueTask<bool> first = tail.MoveNextAsync();
        MeshMessage own = (await reader.AppendAsync(Draft("a", "b", "own 1"), CancellationToken.None)).Message;
        Assert.True(await first);
        Assert.Equal(own, tail.Current);

        MeshMessage between = (await other.AppendAsync(Draft("c", "b", "another process"), CancellationToken.None)).Message;
        ValueTask<bool> second = tail.MoveNextAsync();
        MeshMessage after = (await reader.AppendAsync(Draft("a", "b", "own 2"), CancellationToken.None)).Message;
        Assert.True(await second);
        Assert.Equal(between, tail.Current);
        Assert.True(await tail.MoveNextAsync());
        Assert.Equal(after, tail.Current);
    }

    [Fact]
    public async Task Version_1_store_migrates_forward_keeping_its_messages()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            await connection.OpenAsync();
            SchemaMigrations.Apply(connection, DatabasePath, target: 1);
            await using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO messages (message_id, from_agent_id, to_agent_id, payload, timestamp) VALUES ('msg_old', 'a', 'b', 'from v1', 1)";
            await insert.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        await using SqliteMessageStore store = OpenSqlite();
        Assert.Equal("from v1", Assert.Single(await store.ReadInboxAsync("b", 0, 10, CancellationToken.None)).Payload);
        await using var check = new SqliteConnection($"Data Source={DatabasePath}");
        await check.OpenAsync();
        Assert.Equal((long)SchemaMigrations.Latest, await ScalarAsync(check, "PRAGMA user_version"));
        Assert.Equal(0L, await ScalarAsync(check, "SELECT COUNT(*) FROM agents"));
    }

    [Fact]
    public async Task Version_2_store_migrates_forward_keeping_its_delivery_state_with_nothing_notified_or_read()
    {
        Directory.CreateDirectory(Path.GetDirectoryName(DatabasePath)!);
        await using (var connection = new SqliteConnection($"Data Source={DatabasePath}"))
        {
            await connection.OpenAsync();
            SchemaMigrations.Apply(connection, DatabasePath, target: 2);
            await using SqliteCommand insert = connection.CreateCommand();
            insert.CommandText = "INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, pushed_streams, first_pushed_at) VALUES ('msg_old', 1, 'a', 'b', 2, 5)";
            await insert.ExecuteNonQueryAsync();
        }

        SqliteConnection.ClearAllPools();
        await using SqliteMessageStore store = OpenSqlite();
        var registry = new SqliteDeliveryLedger(store);
        Meshfleet.Core.Delivery.DeliveryRow row = (await registry.GetDeliveryAsync("msg_old", CancellationToken.None))!;
        Assert.Equal(2, row.PushedStreams);
        Assert.Equal(5, row.FirstPushedAt);
        Assert.Equal(0, row.NotifiedSessions);
        Assert.Null(row.ReadAt);

        var message = new MeshMessage("msg_old", 1, "a", "b", "p", 1);
        await registry.RecordNotifiedAsync(message, 7, CancellationToken.None);
        await registry.RecordNotifiedAsync(message, 9, CancellationToken.None);
        await registry.RecordReadAsync([message], 11, CancellationToken.None);
        await registry.RecordReadAsync([message], 13, CancellationToken.None);
        row = (await registry.GetDeliveryAsync("msg_old", CancellationToken.None))!;
        Assert.Equal((2, 7L, 9L, 11L), (row.NotifiedSessions, row.FirstNotifiedAt!.Value, row.LastNotifiedAt!.Value, row.ReadAt!.Value));
        Assert.Equal(2, row.PushedStreams);
    }

    [Fact]
    public async Task Group_commit_fails_only_the_bad_append_among_concurrent_ones()
    {
        await using SqliteMessageStore store = OpenSqlite();
        MessageDraft first = Draft("a", "b", "first");
        await store.AppendAsync(first, CancellationToken.None);

        Task<AppendResult>[] burst = Enumerable.Range(0, 50)
            .Select(i => store.AppendAsync(i == 25 ? first with { Payload = "same id again" } : Draft("a", "b", $"burst {i}"), CancellationToken.None).AsTask())
            .ToArray();
        await Assert.ThrowsAsync<SqliteException>(() => burst[25]);
        AppendResult[] good = await Task.WhenAll(burst.Where((_, i) => i != 25));

        Assert.Equal(49, good.Select(r => r.Message.Seq).Distinct().Count());
        Assert.Equal(50, (await store.ReadInboxAsync("b", 0, 1000, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Wal_stays_bounded_and_the_file_sound_while_appends_never_pause()
    {
        // Checkpoints run beside the writer, which no longer checkpoints every 1000 WAL pages itself: the WAL must still
        // start over. Without any checkpoint these appends (2 to 5 pages each) would grow it past 150 MiB.
        await using SqliteMessageStore store = OpenSqlite();
        const int Callers = 8;
        const int PerCaller = 2048;
        await Task.WhenAll(Enumerable.Range(0, Callers).Select(c => Task.Run(async () =>
        {
            for (int i = 0; i < PerCaller; i++)
            {
                await store.AppendAsync(Draft($"a{c}", $"b{i % 32}", $"message {i}"), CancellationToken.None);
            }
        })));

        Assert.Equal(Callers * PerCaller, await store.ReadHeadSeqAsync(CancellationToken.None));
        Assert.InRange(new FileInfo(DatabasePath + "-wal").Length, 0, 64L * 1024 * 1024);
        Assert.Equal("ok", await store.CheckIntegrityAsync(CancellationToken.None));
    }

    private static async Task<object?> ScalarAsync(SqliteConnection connection, string sql)
    {
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        return await command.ExecuteScalarAsync();
    }
}
