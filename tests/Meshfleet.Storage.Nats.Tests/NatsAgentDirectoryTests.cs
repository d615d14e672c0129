using Meshfleet.Storage.Compliance;
using Xunit;

namespace Meshfleet.Storage.Nats.Tests;

public sealed class NatsAgentDirectoryTests(NatsServerFixture fixture) : AgentDirectoryCompliance, IClassFixture<NatsServerFixture>
{
    protected override StoreFactory CreateFactory() => new NatsStoreFactory(fixture);
}
