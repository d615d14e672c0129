using System.Reflection;
using System.Runtime.ExceptionServices;
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
        IDeliveryLedger racing = AckAfterListLedger.Wrap(mesh.Ledger, () => mesh.Mesh.AckAsync("worker", sent.MessageId, mesh.Timeout).AsTask());
        var sweep = new Redeliverer(new Mesh(mesh.Store, mesh.Directory, racing, mesh.Hub, new MeshLimits(), policy, mesh.Time), mesh.Hub, policy);
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

    /// <summary>
    /// The real registry, with a hook that runs right after the due rows were read. A proxy rather than a hand-written
    /// decorator, so the seam keeps compiling as the registry contract grows.
    /// </summary>
    public class AckAfterListLedger : DispatchProxy
    {
        private IDeliveryLedger _inner = null!;
        private Func<Task> _afterList = null!;

        public static IDeliveryLedger Wrap(IDeliveryLedger inner, Func<Task> afterList)
        {
            IDeliveryLedger proxy = Create<IDeliveryLedger, AckAfterListLedger>();
            var self = (AckAfterListLedger)(object)proxy;
            self._inner = inner;
            self._afterList = afterList;
            return proxy;
        }

        protected override object? Invoke(MethodInfo? targetMethod, object?[]? args)
        {
            if (targetMethod!.Name == nameof(IDeliveryLedger.ListDueRedeliveriesAsync))
            {
                return new ValueTask<IReadOnlyList<DeliveryRow>>(ListThenRunHookAsync((long)args![0]!, (int)args[1]!, (CancellationToken)args[2]!));
            }

            try
            {
                return targetMethod.Invoke(_inner, args);
            }
            catch (TargetInvocationException ex) when (ex.InnerException is not null)
            {
                ExceptionDispatchInfo.Throw(ex.InnerException);
                throw;
            }
        }

        private async Task<IReadOnlyList<DeliveryRow>> ListThenRunHookAsync(long now, int limit, CancellationToken cancellationToken)
        {
            IReadOnlyList<DeliveryRow> due = await _inner.ListDueRedeliveriesAsync(now, limit, cancellationToken);
            await _afterList();
            return due;
        }
    }
}
