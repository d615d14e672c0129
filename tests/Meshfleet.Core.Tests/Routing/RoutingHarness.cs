using Meshfleet.Core.Agents;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Meshfleet.Core.Tests.Routing;

/// <summary>A registry and router over a real SQLite file, with a fake clock; <see cref="ReopenAsync"/> plays a restart.</summary>
internal sealed class RoutingHarness : IAsyncDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshfleet-routing-").FullName;
    private SqliteMessageStore _store;

    public RoutingHarness(FakeEmbedder? embedder = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        _store = Open();
        Embedder = embedder ?? new FakeEmbedder();
        Build();
    }

    public FakeTimeProvider Time { get; }

    public FakeEmbedder Embedder { get; private set; }

    public AgentRegistry Agents { get; private set; } = null!;

    public AgentRouter Router { get; private set; } = null!;

    public string DatabasePath => Path.Combine(_directory, "mesh.db");

    public CancellationToken Timeout { get; } = new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    /// <summary>Closes the store and opens it again with a new embedder: what a restart or another process sees.</summary>
    public async Task ReopenAsync(FakeEmbedder embedder)
    {
        await _store.DisposeAsync();
        _store = Open();
        Embedder = embedder;
        Build();
    }

    public async ValueTask DisposeAsync()
    {
        await _store.DisposeAsync();
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    private SqliteMessageStore Open() => SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, Time);

    private void Build()
    {
        Agents = new AgentRegistry(new SqliteAgentDirectory(_store), new StreamHub(new StreamHubOptions()), Time);
        Router = new AgentRouter(Agents, new SqliteEmbeddingStore(_store), Embedder, new SqliteRouteLog(_store), new RoutingOptions(), Time);
    }
}
