using System.Text.Json;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>Registry, presence, fleets, broadcast and the watchdog, on a fake clock.</summary>
public sealed class FleetTests
{
    [Fact]
    public async Task Presence_comes_from_heartbeats_within_the_fleet_timeout()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.CreateFleetAsync("crew", null, null, 30, mesh.Timeout);
        AgentView registered = await mesh.Agents.RegisterAsync("alice", "Alice", "reviewer", "reviews PRs", "crew", mesh.Timeout);
        Assert.Equal("online", registered.Status);

        mesh.Time.Advance(TimeSpan.FromSeconds(31));
        AgentView stale = Assert.Single(await mesh.Agents.ListAgentsAsync("crew", mesh.Timeout));
        Assert.Equal("offline", stale.Status);
        Assert.Equal(registered.LastSeen, stale.LastSeen);

        AgentView beat = await mesh.Agents.HeartbeatAsync("alice", mesh.Timeout);
        Assert.Equal("online", beat.Status);
        Assert.Equal(mesh.Time.GetUtcNow().ToUnixTimeMilliseconds(), beat.LastSeen);
        Assert.Equal("reviews PRs", beat.Description);
    }

    [Fact]
    public async Task Holding_a_stream_keeps_an_agent_online_without_heartbeats()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("bob", null, null, null, "crew", mesh.Timeout);
        mesh.Time.Advance(TimeSpan.FromMinutes(5));
        Assert.Equal("offline", (await mesh.Agents.FindAsync("bob", mesh.Timeout))!.Status);

        InboxSubscription stream = mesh.Hub.TryOpen("bob")!;
        Assert.Equal("online", (await mesh.Agents.FindAsync("bob", mesh.Timeout))!.Status);
        stream.Dispose();
        Assert.Equal("offline", (await mesh.Agents.FindAsync("bob", mesh.Timeout))!.Status);
    }

    [Fact]
    public async Task Presence_reported_by_the_hub_counts_in_other_processes_until_it_goes_stale()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("carol", null, null, null, null, mesh.Timeout);
        mesh.Time.Advance(TimeSpan.FromMinutes(5));
        await mesh.Directory.RecordStreamsAsync(new Dictionary<string, int> { ["carol"] = 1 }, mesh.Time.GetUtcNow().ToUnixTimeMilliseconds(), mesh.Timeout);
        Assert.Equal("online", (await mesh.Agents.FindAsync("carol", mesh.Timeout))!.Status);

        mesh.Time.Advance(AgentRegistry.StreamFreshness + TimeSpan.FromSeconds(1));
        Assert.Equal("offline", (await mesh.Agents.FindAsync("carol", mesh.Timeout))!.Status);
    }

    [Fact]
    public async Task Broadcast_reaches_every_other_member_once_and_never_the_sender()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        foreach (string agent in new[] { "lead", "dev", "qa" })
        {
            await mesh.Agents.RegisterAsync(agent, null, null, null, "crew", mesh.Timeout);
        }

        await mesh.Agents.RegisterAsync("outsider", null, null, null, "other", mesh.Timeout);
        BroadcastResult result = await mesh.Mesh.BroadcastAsync("lead", "crew", "standup in 5", mesh.Timeout);

        Assert.Equal(["dev", "qa"], result.Messages.Select(m => m.ToAgentId).Order());
        Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);
        Assert.Single((await mesh.Mesh.GetInboxAsync("qa", 0, null, mesh.Timeout)).Messages);
        Assert.Empty((await mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout)).Messages);
        Assert.Empty((await mesh.Mesh.GetInboxAsync("outsider", 0, null, mesh.Timeout)).Messages);

        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.BroadcastAsync("lead", "no-such-fleet", "x", mesh.Timeout).AsTask());
    }

    [Fact]
    public async Task Watchdog_tells_the_fleet_once_when_a_member_goes_offline()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.CreateFleetAsync("crew", null, null, 10, mesh.Timeout);
        await mesh.Agents.RegisterAsync("lead", null, null, null, "crew", mesh.Timeout);
        await mesh.Agents.RegisterAsync("dev", null, null, null, "crew", mesh.Timeout);
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));

        mesh.Time.Advance(TimeSpan.FromSeconds(5));
        await mesh.Agents.HeartbeatAsync("lead", mesh.Timeout);
        mesh.Time.Advance(TimeSpan.FromSeconds(6));
        Assert.Equal(["dev"], await mesh.Watchdog.SweepAsync(mesh.Timeout));
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));

        MeshMessage notice = Assert.Single((await mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout)).Messages);
        Assert.Equal("meshfleet", notice.FromAgentId);
        JsonElement payload = JsonDocument.Parse(notice.Payload).RootElement;
        Assert.Equal("agent_offline", payload.GetProperty("type").GetString());
        Assert.Equal("dev", payload.GetProperty("agent_id").GetString());
        Assert.Empty((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);

        await mesh.Agents.HeartbeatAsync("dev", mesh.Timeout);
        Assert.Empty(await mesh.Watchdog.SweepAsync(mesh.Timeout));
        mesh.Time.Advance(TimeSpan.FromSeconds(11));
        Assert.Contains("dev", await mesh.Watchdog.SweepAsync(mesh.Timeout));
    }

    [Fact]
    public async Task Reserved_system_id_cannot_register_or_send()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Agents.RegisterAsync("meshfleet", null, null, null, null, mesh.Timeout).AsTask());
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.SendAsync("meshfleet", "x", "spoof"));
    }
}
