using Meshfleet.Storage.Compliance;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite.Tests;

/// <summary>
/// SQLite stores for the compliance suites: each store a file in a temp folder, each handle a separate open of it (as
/// another process would open it), with a slow poll so that only a wake-up gets a message to a tail quickly.
/// </summary>
internal sealed class SqliteStoreFactory : StoreFactory
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshfleet-compliance-").FullName;
    private readonly Dictionary<StoreHandle, string> _paths = [];

    public override StoreHandle Create() => OpenAt(Path.Combine(_directory, $"store-{_paths.Count}.db"));

    public override StoreHandle Reopen(StoreHandle handle) => OpenAt(_paths[handle]);

    public override ValueTask DisposeAsync()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
        return ValueTask.CompletedTask;
    }

    private StoreHandle OpenAt(string path)
    {
        SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = path, PollInterval = TimeSpan.FromSeconds(30) }, TimeProvider.System);
        var handle = new StoreHandle(
            store,
            new SqliteAgentDirectory(store),
            new SqliteDeliveryLedger(store),
            new SqliteAgentKeys(store),
            new SqliteEmbeddingStore(store),
            new SqliteRouteLog(store),
            new SqliteMeta(store),
            store.DisposeAsync,
            store.NotifyExternalAppend);
        _paths[handle] = path;
        return handle;
    }
}
