using Meshfleet.Storage.Compliance;
using Xunit;

namespace Meshfleet.Storage.Nats.Tests;

public sealed class NatsDeliveryLedgerTests(NatsServerFixture fixture) : DeliveryLedgerCompliance, IClassFixture<NatsServerFixture>
{
    protected override StoreFactory CreateFactory() => new NatsStoreFactory(fixture);
}
