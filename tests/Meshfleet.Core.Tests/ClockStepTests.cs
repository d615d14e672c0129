using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>Presence and redelivery survive the wall clock stepping ±10 minutes while the monotonic clock runs on.</summary>
public sealed class ClockStepTests
{
    [Fact]
    public async Task Wall_clock_stepping_forward_does_not_make_a_fresh_heartbeat_offline()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.CreateFleetAsync("crew", null, null, 30, mesh.Timeout);
        await mesh.Agents.RegisterAsync("lead", null, null, null, "crew", mesh.Timeout);
        await mesh.Agents.RegisterAsync("dev", null, null, null, "crew", mesh.Timeout);
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));

        mesh.Time.Advance(TimeSpan.FromSeconds(4));
        mesh.Clock.Step = TimeSpan.FromMinutes(10);
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));
        Assert.Equal("online", (await mesh.Agents.FindAsync("dev", mesh.Timeout))!.Status);
        Assert.Empty((await mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout)).Messages);

        // Going quiet is still noticed, on the monotonic clock: 4 s + 27 s is past the 30 s timeout.
        await mesh.Agents.HeartbeatAsync("lead", mesh.Timeout);
        mesh.Time.Advance(TimeSpan.FromSeconds(27));
        Assert.Equal(["dev"], await mesh.Watchdog.SweepAsync(mesh.Timeout));
    }

    [Fact]
    public async Task Wall_clock_stepping_back_does_not_keep_a_silent_agent_online()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.CreateFleetAsync("crew", null, null, 30, mesh.Timeout);
        await mesh.Agents.RegisterAsync("lead", null, null, null, "crew", mesh.Timeout);
        await mesh.Agents.RegisterAsync("dev", null, null, null, "crew", mesh.Timeout);
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));

        mesh.Clock.Step = TimeSpan.FromMinutes(-10);
        mesh.Time.Advance(TimeSpan.FromSeconds(31));
        Assert.Equal("offline", (await mesh.Agents.FindAsync("dev", mesh.Timeout))!.Status);
        Assert.Equal(2, (await mesh.Watchdog.SweepAsync(mesh.Timeout)).Count);
    }

    [Fact]
    public async Task Wall_clock_stepping_back_does_not_hold_a_due_redelivery()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        using InboxSubscription stream = mesh.Hub.TryOpen("worker")!;
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);
        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        // The first redelivery was due 1 s after the send; the wall clock now reads ten minutes earlier than that.
        mesh.Clock.Step = TimeSpan.FromMinutes(-10);
        mesh.Time.Advance(TimeSpan.FromSeconds(2));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        var redelivered = new List<InboxEvent>();
        while (stream.Live.TryRead(out InboxEvent item))
        {
            redelivered.Add(item);
        }

        Assert.Contains(redelivered, e => e.Redelivery && e.Message.MessageId == sent.MessageId);

        // And the next one is scheduled on the stepped clock, not ten minutes out.
        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
        mesh.Time.Advance(TimeSpan.FromSeconds(3));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
    }
}
