using System.Reflection;
using System.Runtime.ExceptionServices;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>
/// Dead-lettering is one conditional transition: an ack that races the sweep wins. (That a crash never splits mark and
/// notice is a backend's atomicity, tested with SQLite in SqliteDeadLetterTests.)
/// </summary>
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
