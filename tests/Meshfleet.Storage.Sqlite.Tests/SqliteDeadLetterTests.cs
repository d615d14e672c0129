using System.Text.Json;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Meshfleet.Storage.Sqlite.Tests;

/// <summary>SQLite commits a dead letter and its notice in one transaction (StorageTraits.AtomicAcrossRoles): a crash never splits them.</summary>
public sealed class SqliteDeadLetterTests : IAsyncLifetime
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshfleet-deadletter-").FullName;
    private readonly FakeTimeProvider _time = new(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(60));
    private SqliteMessageStore _store = null!;

    private string DatabasePath => Path.Combine(_directory, "mesh.db");

    public Task InitializeAsync()
    {
        _store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, _time);
        return Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        _timeout.Dispose();
    }

    [Fact]
    public async Task Failure_between_the_dead_letter_mark_and_its_notice_keeps_the_message_due_and_the_notice_is_sent_later()
    {
        Assert.True(_store.Traits.AtomicAcrossRoles);
        var policy = new RetryPolicy { MaxAttempts = 1, Jitter = 0 };
        var hub = new StreamHub(new StreamHubOptions());
        var mesh = new Mesh(_store, new SqliteAgentDirectory(_store), new SqliteDeliveryLedger(_store), hub, new MeshLimits(), policy, _time);
        var redeliverer = new Redeliverer(mesh, hub, policy);
        CancellationToken timeout = _timeout.Token;
        MeshMessage sent = (await mesh.SendAsync("boss", "worker", "do it", null, null, null, timeout, requiresAck: true)).Message;
        _time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await redeliverer.RunDueAsync(timeout));

        // A real trigger in the store file makes storing the notice fail, as a kill between the two writes would.
        await ExecuteAsync("""
            CREATE TRIGGER simulated_crash BEFORE INSERT ON messages WHEN NEW.from_agent_id = 'meshfleet'
            BEGIN SELECT RAISE(ABORT, 'simulated crash before the notice is stored'); END
            """);
        _time.Advance(TimeSpan.FromSeconds(60));
        await Assert.ThrowsAsync<SqliteException>(() => redeliverer.RunDueAsync(timeout).AsTask());
        Assert.NotEqual("dead_lettered", (await mesh.GetStatusAsync(sent.MessageId, timeout)).Status);

        await ExecuteAsync("DROP TRIGGER simulated_crash");
        Assert.Equal(1, await redeliverer.RunDueAsync(timeout));

        Assert.Equal("dead_lettered", (await mesh.GetStatusAsync(sent.MessageId, timeout)).Status);
        MeshMessage notice = Assert.Single((await mesh.GetInboxAsync("boss", 0, null, timeout)).Messages);
        Assert.Equal("dead_letter", JsonDocument.Parse(notice.Payload).RootElement.GetProperty("type").GetString());
        Assert.Equal(sent.MessageId, notice.ReplyTo);
    }

    private async Task ExecuteAsync(string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = DatabasePath, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }
}
