using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Storage;

namespace Meshfleet.Cli.Export;

/// <summary>The storage roles export and import work through, whatever the backend; disposing closes the backend.</summary>
internal sealed record MeshStores(IMessageLog Log, IAgentDirectory Directory, IDeliveryLedger Ledger, IReadOnlyList<IAsyncDisposable> Owners) : IAsyncDisposable
{
    /// <summary>Closes what the roles run on, in the order given (the store before its connection).</summary>
    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable owner in Owners)
        {
            await owner.DisposeAsync();
        }
    }
}
