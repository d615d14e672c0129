using System.Text.Json;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>Dead-lettering is one conditional transition: an ack that races the sweep wins, and a crash never splits mark and notice.</summary>
public sealed class DeadLetterTests
{
    [Fact]
    public async Task Ack_landing_after_the_sweep_read_its_due_rows_is_not_dead_lettered()
    {
        var policy = new RetryPolicy { MaxAttempts = 1, Jitter = 0 };
        await using MeshHarness mesh = await MeshHarness.StartAsync(policy);
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);
        mesh.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        // The seam: the recipient acks right after the sweep has read the row as due, before it dead-letters it.
        var racing = new AckAfterListRegistry(mesh.Registry, () => mesh.Mesh.AckAsync("worker", sent.MessageId, mesh.Timeout).AsTask());
        var sweep = new Redeliverer(new Mesh(mesh.Store, racing, mesh.Hub, new MeshLimits(), policy, mesh.Time), mesh.Hub, policy);
        mesh.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await sweep.RunDueAsync(mesh.Timeout));

        Assert.Equal("acked", (await mesh.Mesh.GetStatusAsync(sent.MessageId, mesh.Timeout)).Status);
        Assert.Empty((await mesh.Mesh.GetInboxAsync("boss", 0, null, mesh.Timeout)).Messages);
    }

    [Fact]
    public async Task Failure_between_the_dead_letter_mark_and_its_notice_keeps_the_message_due_and_the_notice_is_sent_later()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync(new RetryPolicy { MaxAttempts = 1, Jitter = 0 });
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);
        mesh.Time.Advance(TimeSpan.FromSeconds(60));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        // A real trigger in the store file makes storing the notice fail, as a kill between the two writes would.
        await ExecuteAsync(mesh.Store.Path, """
            CREATE TRIGGER simulated_crash BEFORE INSERT ON messages WHEN NEW.from_agent_id = 'meshfleet'
            BEGIN SELECT RAISE(ABORT, 'simulated crash before the notice is stored'); END
            """);
        mesh.Time.Advance(TimeSpan.FromSeconds(60));
        await Assert.ThrowsAsync<SqliteException>(() => mesh.Redeliverer.RunDueAsync(mesh.Timeout).AsTask());
        Assert.NotEqual("dead_lettered", (await mesh.Mesh.GetStatusAsync(sent.MessageId, mesh.Timeout)).Status);

        await ExecuteAsync(mesh.Store.Path, "DROP TRIGGER simulated_crash");
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        Assert.Equal("dead_lettered", (await mesh.Mesh.GetStatusAsync(sent.MessageId, mesh.Timeout)).Status);
        MeshMessage notice = Assert.Single((await mesh.Mesh.GetInboxAsync("boss", 0, null, mesh.Timeout)).Messages);
        Assert.Equal("dead_letter", JsonDocument.Parse(notice.Payload).RootElement.GetProperty("type").GetString());
        Assert.Equal(sent.MessageId, notice.ReplyTo);
    }

    private static async Task ExecuteAsync(string path, string sql)
    {
        await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
        await connection.OpenAsync();
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = sql;
        await command.ExecuteNonQueryAsync();
    }

    /// <summary>The real registry, with a hook that runs right after the due rows were read.</summary>
    private sealed class AckAfterListRegistry(IRegistryStore inner, Func<Task> afterList) : IRegistryStore
    {
        public async ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken)
        {
            IReadOnlyList<DeliveryRow> due = await inner.ListDueRedeliveriesAsync(now, limit, cancellationToken);
            await afterList();
            return due;
        }

        public ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken) => inner.UpsertAgentAsync(profile, now, cancellationToken);

        public ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken) => inner.RecordHeartbeatAsync(agentId, now, cancellationToken);

        public ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken) => inner.RecordStreamsAsync(streams, now, cancellationToken);

        public ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken) => inner.MarkOfflineReportedAsync(agentId, at, cancellationToken);

        public ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken) => inner.GetAgentAsync(agentId, cancellationToken);

        public ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken) => inner.ListAgentsAsync(fleetId, cancellationToken);

        public ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken) =>
            inner.UpsertFleetAsync(fleetId, description, requestTimeoutSeconds, heartbeatTimeoutSeconds, cancellationToken);

        public ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken) => inner.GetFleetAsync(fleetId, cancellationToken);

        public ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken) => inner.ListFleetsAsync(cancellationToken);

        public ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken) => inner.RecordPushesAsync(pushes, cancellationToken);

        public ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken) => inner.AckAsync(agentId, messageId, now, cancellationToken);

        public ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken) =>
            inner.RecordAttemptAsync(messageId, attempts, nextAttemptAt, deadLetteredAt, cancellationToken);

        public ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken) =>
            inner.DeadLetterAsync(messageId, now, notice, cancellationToken);

        public ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken) => inner.PullInRedeliveriesAsync(latest, now, cancellationToken);

        public ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken) => inner.RecordNotifiedAsync(message, at, cancellationToken);

        public ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken) => inner.RecordReadAsync(messages, at, cancellationToken);

        public ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken) =>
            inner.ListUnseenAsync(agentId, fromTimestamp, throughSeq, limit, cancellationToken);

        public ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken) => inner.GetDeliveryAsync(messageId, cancellationToken);
    }
}
