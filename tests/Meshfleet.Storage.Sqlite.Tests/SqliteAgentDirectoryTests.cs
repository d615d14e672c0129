using Meshfleet.Storage.Compliance;

namespace Meshfleet.Storage.Sqlite.Tests;

public sealed class SqliteAgentDirectoryTests : AgentDirectoryCompliance
{
    protected override StoreFactory CreateFactory() => new SqliteStoreFactory();
}
