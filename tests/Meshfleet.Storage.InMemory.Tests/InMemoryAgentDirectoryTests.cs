using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.InMemory.Tests;

public sealed class InMemoryAgentDirectoryTests : AgentDirectoryCompliance
{
    protected override StoreFactory CreateFactory() => new InMemoryStoreFactory();
}
