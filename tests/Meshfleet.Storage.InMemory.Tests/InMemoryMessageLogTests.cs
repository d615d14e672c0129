using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.InMemory.Tests;

public sealed class InMemoryMessageLogTests : MessageLogCompliance
{
    protected override StoreFactory CreateFactory() => new InMemoryStoreFactory();
}
