using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.Nats.Tests;

/// <summary>
/// JetStream stores for the compliance suites: each store a mesh of its own name on the class's nats-server, each handle
/// a new connection to it (as another process, on any machine, would open it).
/// </summary>
internal sealed class NatsStoreFactory : StoreFactory
{
    private readonly NatsServerFixture _fixture;
    private readonly Dictionary<StoreHandle, NatsStoreOptions> _meshes = [];

    public NatsStoreFactory(NatsServerFixture fixture)
    {
        _fixture = fixture;
    }

    public override StoreHandle Create() => Open(_fixture.NewMesh());

    public override StoreHandle Reopen(StoreHandle handle) => Open(_meshes[handle]);

    /// <summary>The server and its store directory belong to the class's fixture, which removes them.</summary>
    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private StoreHandle Open(NatsStoreOptions options)
    {
        (NatsMesh mesh, NatsMessageStore store) = OpenAsync(options).GetAwaiter().GetResult();
        var handle = new StoreHandle(
            store,
            new NatsAgentDirectory(mesh),
            new NatsDeliveryLedger(mesh, store),
            new NatsAgentKeys(mesh),
            new NatsEmbeddingStore(mesh),
            new NatsRouteLog(mesh),
            new NatsMeta(mesh),
            store.DisposeAsync);
        _meshes[handle] = options;
        return handle;
    }

    private static async Task<(NatsMesh, NatsMessageStore)> OpenAsync(NatsStoreOptions options)
    {
        NatsMesh mesh = await NatsMesh.OpenAsync(options, CancellationToken.None);
        return (mesh, await NatsMessageStore.OpenAsync(mesh, TimeProvider.System, CancellationToken.None, ownsMesh: true));
    }
}
