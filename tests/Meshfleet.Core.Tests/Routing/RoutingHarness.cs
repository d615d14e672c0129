using Meshfleet.Core.Agents;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Meshfleet.Core.Tests.Routing;

/// <summary>
/// A registry and router over the in-memory backend, with a fake clock; <see cref="ReopenAsync"/> plays a restart: new
/// services with nothing cached, over the same stored agents and vectors.
/// </summary>
internal sealed class RoutingHarness : IAsyncDisposable
{
    private readonly InMemoryBackend _backend;

    public RoutingHarness(FakeEmbedder? embedder = null)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        _backend = new InMemoryBackend(Time);
        Embedder = embedder ?? new FakeEmbedder();
        Build();
    }

    public FakeTimeProvider Time { get; }

    public FakeEmbedder Embedder { get; private set; }

    public AgentRegistry Agents { get; private set; } = null!;

    public AgentRouter Router { get; private set; } = null!;

    public CancellationToken Timeout { get; } = new CancellationTokenSource(TimeSpan.FromSeconds(60)).Token;

    /// <summary>Builds the services again with a new embedder: what a restart or another process sees.</summary>
    public Task ReopenAsync(FakeEmbedder embedder)
    {
        Embedder = embedder;
        Build();
        return Task.CompletedTask;
    }

    public ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private void Build()
    {
        Agents = new AgentRegistry(_backend.Directory, new StreamHub(new StreamHubOptions()), Time);
        Router = new AgentRouter(Agents, _backend.Embeddings, Embedder, _backend.Routes, new RoutingOptions(), Time);
    }
}
