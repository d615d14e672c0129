using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Xunit;

namespace Meshfleet.Core.Tests.Routing;

/// <summary>find_agents and routed hand-off on a deterministic fake embedder over a real SQLite store.</summary>
public sealed class RoutingTests
{
    [Fact]
    public async Task Agents_come_best_first_with_scores_between_0_and_1()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);

        RoutingResult result = await mesh.Router.FindAsync("review the SQL migration for locking", null, null, false, mesh.Timeout);

        Assert.Equal("db", result.Agents[0].AgentId);
        Assert.True(result.GoodMatch);
        Assert.Null(result.Note);
        Assert.Equal("fake-bag-of-words", result.Model);
        Assert.All(result.Agents, a => Assert.InRange(a.Score, 0, 1));
        Assert.Equal(result.Agents.Select(a => a.Score).OrderDescending(), result.Agents.Select(a => a.Score));
        Assert.Equal("database", result.Agents[0].Role);
        Assert.Equal("online", result.Agents[0].Status);
    }

    [Fact]
    public async Task Fleet_filter_and_limit_narrow_the_result()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);
        await mesh.Agents.RegisterAsync("db2", null, "database", "Writes SQL migrations and indexes.", "other", mesh.Timeout);

        RoutingResult crew = await mesh.Router.FindAsync("write SQL migrations", "crew", null, false, mesh.Timeout);
        RoutingResult one = await mesh.Router.FindAsync("write SQL migrations", null, 1, false, mesh.Timeout);

        Assert.DoesNotContain(crew.Agents, a => a.AgentId == "db2");
        Assert.All(crew.Agents, a => Assert.Equal("crew", a.FleetId));
        Assert.Single(one.Agents);
    }

    [Fact]
    public async Task Online_only_leaves_out_agents_whose_heartbeat_is_stale()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);
        mesh.Time.Advance(TimeSpan.FromMinutes(5));
        await mesh.Agents.HeartbeatAsync("frontend", mesh.Timeout);

        RoutingResult all = await mesh.Router.FindAsync("review the SQL migration", null, null, false, mesh.Timeout);
        RoutingResult online = await mesh.Router.FindAsync("review the SQL migration", null, null, true, mesh.Timeout);

        Assert.Equal("db", all.Agents[0].AgentId);
        Assert.Equal("offline", all.Agents[0].Status);
        Assert.Equal(["frontend"], online.Agents.Select(a => a.AgentId));
    }

    [Fact]
    public async Task A_task_nobody_fits_is_flagged_rather_than_presented_as_a_match()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);

        RoutingResult result = await mesh.Router.FindAsync("bake a chocolate cake for the party", null, null, false, mesh.Timeout);

        Assert.False(result.GoodMatch);
        Assert.True(result.Agents[0].Score < result.Threshold);
        Assert.Contains("No agent fits this task well", result.Note, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData(null)]
    [InlineData("")]
    [InlineData("   ")]
    public async Task A_missing_or_empty_task_is_a_clear_error(string? task)
    {
        await using var mesh = new RoutingHarness();
        var error = await Assert.ThrowsAsync<MeshInputException>(async () => await mesh.Router.FindAsync(task, null, null, false, mesh.Timeout));
        Assert.Contains("'task' is missing or empty", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Agent_vectors_are_stored_once_and_reused_after_a_restart()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);
        await mesh.Router.FindAsync("write SQL migrations", null, null, false, mesh.Timeout);
        Assert.Equal(4, mesh.Embedder.Calls); // three agents, then the task

        await mesh.Router.FindAsync("build a React page", null, null, false, mesh.Timeout);
        Assert.Equal(5, mesh.Embedder.Calls); // only the task

        // Another process, or this one restarted: same file, nothing in memory.
        var restarted = new FakeEmbedder();
        await mesh.ReopenAsync(restarted);
        RoutingResult result = await mesh.Router.FindAsync("write SQL migrations", null, null, false, mesh.Timeout);
        Assert.Equal(["write SQL migrations"], restarted.Texts);
        Assert.Equal("db", result.Agents[0].AgentId);
    }

    [Fact]
    public async Task Changing_an_agents_text_re_embeds_only_that_agent_and_another_model_embeds_afresh()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);
        await mesh.Router.FindAsync("write SQL migrations", null, null, false, mesh.Timeout);
        await mesh.Agents.RegisterAsync("frontend", null, null, "Translates documents into German.", null, mesh.Timeout);
        mesh.Embedder.Texts.Clear();

        RoutingResult result = await mesh.Router.FindAsync("translate the docs into German", null, null, false, mesh.Timeout);

        Assert.Equal(2, mesh.Embedder.Texts.Count);
        Assert.Contains("Translates documents into German", mesh.Embedder.Texts[0], StringComparison.Ordinal);
        Assert.Equal("frontend", result.Agents[0].AgentId);

        var other = new FakeEmbedder("another-model");
        await mesh.ReopenAsync(other);
        await mesh.Router.FindAsync("write SQL migrations", null, null, false, mesh.Timeout);
        Assert.Equal(4, other.Calls);
    }

    [Fact]
    public async Task Hand_off_picks_the_best_online_agent_other_than_the_sender()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);
        await mesh.Agents.RegisterAsync("db-boss", null, "database", "Writes SQL schema migrations and checks indexes.", "crew", mesh.Timeout);

        RankedAgent chosen = await mesh.Router.ChooseAsync("write SQL schema migrations", "crew", "db-boss", mesh.Timeout);
        Assert.Equal("db", chosen.AgentId);

        mesh.Time.Advance(TimeSpan.FromMinutes(5));
        await mesh.Agents.HeartbeatAsync("frontend", mesh.Timeout);
        await mesh.Agents.HeartbeatAsync("db-boss", mesh.Timeout);
        RankedAgent online = await mesh.Router.ChooseAsync("write SQL schema migrations", "crew", "frontend", mesh.Timeout);
        Assert.Equal("db-boss", online.AgentId);
    }

    [Fact]
    public async Task Hand_off_refuses_a_poor_fit_and_an_empty_fleet_and_says_what_to_do()
    {
        await using var mesh = new RoutingHarness();
        await RegisterCrewAsync(mesh);

        var poor = await Assert.ThrowsAsync<MeshInputException>(async () => await mesh.Router.ChooseAsync("bake a chocolate cake", "crew", null, mesh.Timeout));
        Assert.Contains("nothing was sent", poor.Message, StringComparison.Ordinal);
        Assert.Contains("to_agent_id", poor.Message, StringComparison.Ordinal);

        var empty = await Assert.ThrowsAsync<MeshInputException>(async () => await mesh.Router.ChooseAsync("write SQL", "nobody-here", null, mesh.Timeout));
        Assert.Contains("No online agent in fleet 'nobody-here'", empty.Message, StringComparison.Ordinal);
    }

    private static async Task RegisterCrewAsync(RoutingHarness mesh)
    {
        await mesh.Agents.RegisterAsync("db", "Dana", "database", "Writes and checks SQL schema migrations, indexes and query plans.", "crew", mesh.Timeout);
        await mesh.Agents.RegisterAsync("frontend", "Fred", "frontend", "Builds React components and CSS layouts.", "crew", mesh.Timeout);
        await mesh.Agents.RegisterAsync("writer", "Wendy", "technical writer", "Writes READMEs, tutorials and changelogs.", "crew", mesh.Timeout);
    }
}
