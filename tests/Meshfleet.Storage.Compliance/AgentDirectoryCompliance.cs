using Meshfleet.Core.Agents;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// The semantics every backend of <see cref="IAgentDirectory"/> keeps, with the rest of its role: agents' key hashes
/// (<see cref="IAgentKeyStore"/>), routing vectors (<see cref="IEmbeddingStore"/>) and the store's own facts.
/// </summary>
public abstract class AgentDirectoryCompliance : StorageCompliance
{
    [Fact]
    public async Task Upsert_creates_an_agent_then_keeps_fields_a_later_upsert_leaves_out_and_clears_the_offline_mark()
    {
        IAgentDirectory directory = Open().Directory;
        AgentRow created = await directory.UpsertAgentAsync(new AgentProfile("ada", "Ada", "reviewer", "reviews code", "team"), 100, None);
        Assert.Equal((100L, 100L, 0), (created.RegisteredAt, created.HeartbeatAt!.Value, created.Streams));

        await directory.MarkOfflineReportedAsync("ada", 150, None);
        Assert.Equal(150, (await directory.GetAgentAsync("ada", None))!.OfflineReportedAt);
        AgentRow updated = await directory.UpsertAgentAsync(new AgentProfile("ada", null, "lead", null, null), 200, None);

        Assert.Equal(new AgentProfile("ada", "Ada", "lead", "reviews code", "team"), updated.Profile);
        Assert.Equal((100L, 200L, (long?)null), (updated.RegisteredAt, updated.HeartbeatAt!.Value, updated.OfflineReportedAt));
        Assert.Equal(updated, await directory.GetAgentAsync("ada", None));
        Assert.Null(await directory.GetAgentAsync("nobody", None));
    }

    [Fact]
    public async Task Imported_agents_keep_their_presence_facts_and_an_agent_already_known_keeps_what_it_has()
    {
        IAgentDirectory directory = Open().Directory;
        await directory.UpsertAgentAsync(new AgentProfile("kept", "Here first", null, null, null), 500, None);
        var exported = new AgentRow[]
        {
            new(new AgentProfile("ada", "Ada", "reviewer", "reviews code", "team"), 100, 150, 2, 160, 170),
            new(new AgentProfile("bare", null, null, null, null), 10, null, 0, null, null),
            new(new AgentProfile("kept", "Imported", null, null, null), 1, 2, 0, null, null),
        };

        Assert.Equal(2, await directory.ImportAgentsAsync(exported, None));
        Assert.Equal(exported[0], await directory.GetAgentAsync("ada", None));
        Assert.Equal(exported[1], await directory.GetAgentAsync("bare", None));
        AgentRow kept = (await directory.GetAgentAsync("kept", None))!;
        Assert.Equal(("Here first", 500L), (kept.Profile.Name, kept.RegisteredAt));
        Assert.Equal(0, await directory.ImportAgentsAsync(exported, None));
        Assert.Equal(["ada", "bare", "kept"], (await directory.ListAgentsAsync(null, None)).Select(a => a.Profile.AgentId));
    }

    [Fact]
    public async Task Heartbeats_and_stream_counts_create_bare_agents_and_update_known_ones()
    {
        IAgentDirectory directory = Open().Directory;
        await directory.RecordHeartbeatAsync("hb", 10, None);
        await directory.RecordStreamsAsync(new Dictionary<string, int> { ["st"] = 2 }, 20, None);
        await directory.RecordStreamsAsync(new Dictionary<string, int>(), 25, None);

        AgentRow heartbeat = (await directory.GetAgentAsync("hb", None))!;
        Assert.Equal((new AgentProfile("hb", null, null, null, null), 10L, 10L, 0), (heartbeat.Profile, heartbeat.RegisteredAt, heartbeat.HeartbeatAt!.Value, heartbeat.Streams));
        AgentRow streaming = (await directory.GetAgentAsync("st", None))!;
        Assert.Equal((20L, (long?)null, 2, 20L), (streaming.RegisteredAt, streaming.HeartbeatAt, streaming.Streams, streaming.StreamsSeenAt!.Value));

        await directory.RecordHeartbeatAsync("st", 30, None);
        await directory.RecordStreamsAsync(new Dictionary<string, int> { ["st"] = 0, ["hb"] = 1 }, 40, None);
        streaming = (await directory.GetAgentAsync("st", None))!;
        Assert.Equal((20L, 30L, 0, 40L), (streaming.RegisteredAt, streaming.HeartbeatAt!.Value, streaming.Streams, streaming.StreamsSeenAt!.Value));
        Assert.Equal(1, (await directory.GetAgentAsync("hb", None))!.Streams);
    }

    [Fact]
    public async Task Agents_and_fleets_are_listed_by_id_and_agents_filtered_by_fleet()
    {
        IAgentDirectory directory = Open().Directory;
        foreach ((string id, string? fleet) in new[] { ("zed", "red"), ("amy", "blue"), ("kim", "red"), ("bob", (string?)null) })
        {
            await directory.UpsertAgentAsync(new AgentProfile(id, null, null, null, fleet), 1, None);
        }

        await directory.UpsertFleetAsync("red", null, null, null, None);
        await directory.UpsertFleetAsync("blue", null, null, null, None);

        Assert.Equal(["amy", "bob", "kim", "zed"], (await directory.ListAgentsAsync(null, None)).Select(a => a.Profile.AgentId));
        Assert.Equal(["kim", "zed"], (await directory.ListAgentsAsync("red", None)).Select(a => a.Profile.AgentId));
        Assert.Empty(await directory.ListAgentsAsync("none", None));
        Assert.Equal(["blue", "red"], (await directory.ListFleetsAsync(None)).Select(f => f.FleetId));
    }

    [Fact]
    public async Task Fleet_upsert_starts_from_the_defaults_and_keeps_what_a_later_upsert_leaves_out()
    {
        IAgentDirectory directory = Open().Directory;
        Fleet created = await directory.UpsertFleetAsync("ops", "on call", null, 30, None);
        Assert.Equal(new Fleet("ops", "on call", Fleet.DefaultRequestTimeoutSeconds, 30), created);

        Fleet updated = await directory.UpsertFleetAsync("ops", null, 60, null, None);
        Assert.Equal(new Fleet("ops", "on call", 60, 30), updated);
        Assert.Equal(updated, await directory.GetFleetAsync("ops", None));
        Assert.Null(await directory.GetFleetAsync("none", None));
    }

    [Fact]
    public async Task Agent_key_is_claimed_once_found_by_hash_replaced_and_revoked()
    {
        IAgentKeyStore keys = Open().Keys;
        byte[] first = [1, 2, 3];
        byte[] second = [4, 5, 6];

        Assert.True(await keys.ClaimAsync("ada", first, 1, None));
        Assert.False(await keys.ClaimAsync("ada", second, 2, None));
        Assert.Equal("ada", await keys.FindAgentAsync([1, 2, 3], None));
        Assert.Equal(first, await keys.GetKeyHashAsync("ada", None));

        await keys.ReplaceAsync("ada", second, 3, None);
        Assert.Null(await keys.FindAgentAsync(first, None));
        Assert.Equal("ada", await keys.FindAgentAsync(second, None));

        Assert.True(await keys.RevokeAsync("ada", None));
        Assert.False(await keys.RevokeAsync("ada", None));
        Assert.Null(await keys.GetKeyHashAsync("ada", None));
        Assert.True(await keys.ClaimAsync("ada", first, 4, None));
    }

    [Fact]
    public async Task Routing_vectors_are_kept_per_model_and_replaced_per_agent()
    {
        StoreHandle store = Open();
        await store.Embeddings.SaveEmbeddingAsync("ada", "m1", new StoredEmbedding("h1", [1f, 2f]), None);
        await store.Embeddings.SaveEmbeddingAsync("bob", "m1", new StoredEmbedding("h2", [3f]), None);
        await store.Embeddings.SaveEmbeddingAsync("ada", "m2", new StoredEmbedding("h3", [4f]), None);
        await store.Embeddings.SaveEmbeddingAsync("ada", "m1", new StoredEmbedding("h4", [5f, 6f]), None);
        await store.Routes.RecordAsync(new RouteRecord("msg_1", "bob", "team", "ada", 0.9, "m1", 1), None);

        IReadOnlyDictionary<string, StoredEmbedding> m1 = await store.Embeddings.GetEmbeddingsAsync("m1", None);
        Assert.Equal(["ada", "bob"], m1.Keys.Order(StringComparer.Ordinal));
        Assert.Equal("h4", m1["ada"].TextHash);
        Assert.Equal([5f, 6f], m1["ada"].Vector);
        Assert.Equal("h3", Assert.Single(await store.Embeddings.GetEmbeddingsAsync("m2", None)).Value.TextHash);
        Assert.Empty(await store.Embeddings.GetEmbeddingsAsync("m3", None));
    }

    [Fact]
    public async Task Store_facts_add_once_and_replace_only_from_the_expected_value()
    {
        IStoreMeta meta = Open().Meta;
        Assert.Null(await meta.GetAsync("lease", None));
        Assert.Equal("a", await meta.GetOrAddAsync("lease", "a", None));
        Assert.Equal("a", await meta.GetOrAddAsync("lease", "b", None));

        Assert.False(await meta.TryReplaceAsync("lease", "b", "c", None));
        Assert.True(await meta.TryReplaceAsync("lease", "a", "c", None));
        Assert.Equal("c", await meta.GetAsync("lease", None));
        Assert.False(await meta.TryReplaceAsync("other", "x", "y", None));
        Assert.True(await meta.TryReplaceAsync("other", null, "y", None));
        Assert.True(await meta.TryReplaceAsync("lease", "c", null, None));
        Assert.Null(await meta.GetAsync("lease", None));
    }

    [Fact]
    public async Task Directory_survives_closing_and_reopening_the_store()
    {
        StoreHandle first = Open();
        await first.Directory.UpsertAgentAsync(new AgentProfile("ada", "Ada", null, null, "team"), 5, None);
        await first.Directory.UpsertFleetAsync("team", "the team", null, null, None);
        await first.Keys.ClaimAsync("ada", [9], 5, None);
        await first.CloseAsync();

        StoreHandle second = Reopen(first);
        Assert.Equal("Ada", (await second.Directory.GetAgentAsync("ada", None))!.Profile.Name);
        Assert.Equal("the team", (await second.Directory.GetFleetAsync("team", None))!.Description);
        Assert.Equal("ada", await second.Keys.FindAgentAsync([9], None));
    }
}
