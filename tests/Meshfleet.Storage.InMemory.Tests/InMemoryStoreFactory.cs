using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.InMemory.Tests;

/// <summary>
/// In-memory stores for the compliance suites: each store an <see cref="InMemoryBackend"/>, each handle a new log handle
/// with its own tail on it (closing one leaves the store, as closing a file would); the poll is slow so that only a
/// wake-up gets a message to a tail quickly.
/// </summary>
internal sealed class InMemoryStoreFactory : StoreFactory
{
    private readonly Dictionary<StoreHandle, InMemoryBackend> _backends = [];

    public override StoreHandle Create() => OpenOn(new InMemoryBackend(TimeProvider.System, TimeSpan.FromSeconds(30)));

    public override StoreHandle Reopen(StoreHandle handle) => OpenOn(_backends[handle]);

    public override ValueTask DisposeAsync() => ValueTask.CompletedTask;

    private StoreHandle OpenOn(InMemoryBackend backend)
    {
        InMemoryMessageLog log = backend.OpenLog();
        var handle = new StoreHandle(log, backend.Directory, backend.Ledger, backend.Keys, backend.Embeddings, backend.Routes, backend.Meta, log.DisposeAsync);
        _backends[handle] = backend;
        return handle;
    }
}
