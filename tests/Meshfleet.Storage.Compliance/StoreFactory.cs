namespace Meshfleet.Storage.Compliance;

/// <summary>
/// What a backend gives the compliance suites: new stores, more handles on a store, and a clean-up. A new backend's
/// tests implement this once and inherit <see cref="MessageLogCompliance"/>, <see cref="AgentDirectoryCompliance"/>
/// and <see cref="DeliveryLedgerCompliance"/> with it.
/// </summary>
public abstract class StoreFactory : IAsyncDisposable
{
    /// <summary>A new, empty store; each call makes a different store.</summary>
    public abstract StoreHandle Create();

    /// <summary>Another handle on the store behind <paramref name="handle"/>, as a restart (once it is closed) or another process opens it.</summary>
    public abstract StoreHandle Reopen(StoreHandle handle);

    /// <summary>Removes every store this factory made; the suites close their handles first.</summary>
    public abstract ValueTask DisposeAsync();
}
