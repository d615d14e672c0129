using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.Sqlite.Tests;

public sealed class SqliteDeliveryLedgerTests : DeliveryLedgerCompliance
{
    protected override StoreFactory CreateFactory() => new SqliteStoreFactory();
}
