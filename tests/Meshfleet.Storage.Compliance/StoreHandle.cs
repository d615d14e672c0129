using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// One opened store as the suites see it: every storage role over one handle, how to close it, and (for a backend whose
/// traits say it needs one) how the host would deliver its cross-process change signal to this handle's tail.
/// </summary>
public sealed class StoreHandle
{
    private readonly Func<ValueTask> _close;
    private readonly Action _signalChange;
    private int _closed;

    public StoreHandle(
        IMessageLog log,
        IAgentDirectory directory,
        IDeliveryLedger ledger,
        IAgentKeyStore keys,
        IEmbeddingStore embeddings,
        IRouteLog routes,
        IStoreMeta meta,
        Func<ValueTask> close,
        Action? signalChange = null)
    {
        Log = log;
        Directory = directory;
        Ledger = ledger;
        Keys = keys;
        Embeddings = embeddings;
        Routes = routes;
        Meta = meta;
        _close = close;
        _signalChange = signalChange ?? (() => { });
    }

    public IMessageLog Log { get; }

    public IAgentDirectory Directory { get; }

    public IDeliveryLedger Ledger { get; }

    public IAgentKeyStore Keys { get; }

    public IEmbeddingStore Embeddings { get; }

    public IRouteLog Routes { get; }

    public IStoreMeta Meta { get; }

    public StorageTraits Traits => Log.Traits;

    /// <summary>What the host does after another process appended (SQLite: the UDP wake); nothing for other backends.</summary>
    public void SignalExternalAppend() => _signalChange();

    /// <summary>Closes the handle (a second call does nothing).</summary>
    public ValueTask CloseAsync() => Interlocked.Exchange(ref _closed, 1) == 0 ? _close() : ValueTask.CompletedTask;
}
