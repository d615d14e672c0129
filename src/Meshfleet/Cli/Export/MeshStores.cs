using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Storage;

namespace Meshfleet.Cli.Export;

/// <summary>The storage roles export and import work through, whatever the backend; disposing closes the backend.</summary>
internal sealed record MeshStores(IMessageLog Log, IAgentDirectory Directory, IDeliveryLedger Ledger, IAsyncDisposable Owner) : IAsyncDisposable
{
    public ValueTask DisposeAsync() => Owner.DisposeAsync();
}
