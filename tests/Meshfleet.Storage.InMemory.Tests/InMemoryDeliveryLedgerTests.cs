using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.InMemory.Tests;

public sealed class InMemoryDeliveryLedgerTests : DeliveryLedgerCompliance
{
    protected override StoreFactory CreateFactory() => new InMemoryStoreFactory();
}
