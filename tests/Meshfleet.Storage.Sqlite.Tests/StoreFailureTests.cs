using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Meshfleet.Storage.Sqlite.Tests;

/// <summary>Failures the caller cannot fix by retrying (full disk, damaged or foreign file) are named, with the store's path and the fix.</summary>
public sealed class StoreFailureTests : IDisposable
{
    private readonly string _directory = Directory.CreateTempSubdirectory("meshfleet-failure-").FullName;

    private string DatabasePath => Path.Combine(_directory, "mesh.db");

    public void Dispose()
    {
        SqliteConnection.ClearAllPools();
        Directory.Delete(_directory, recursive: true);
    }

    [Fact]
    public async Task Full_disk_is_named_with_the_store_path_and_what_was_stored_stays_readable()
    {
        await SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, TimeProvider.System).DisposeAsync();

        // The page cap makes the file "full" at its size at open, as a full disk would, deterministically.
        await using SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath, MaxPageCount = 1 }, TimeProvider.System);
        var stored = new List<MeshMessage>();
        StoreFailureException? full = null;
        for (int i = 0; i < 1000 && full is null; i++)
        {
            try
            {
                stored.Add((await store.AppendAsync(Draft($"message {i} " + new string('x', 600)), CancellationToken.None)).Message);
            }
            catch (StoreFailureException ex)
            {
                full = ex;
            }
        }

        Assert.NotNull(full);
        Assert.Contains("disk holding the Meshfleet store is full", full.Message, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, full.Message, StringComparison.Ordinal);
        Assert.Contains("Free space", full.Message, StringComparison.Ordinal);
        Assert.Equal(stored, await store.ReadInboxAsync("b", 0, 1000, CancellationToken.None));

        var registry = new SqliteAgentDirectory(store);
        await Assert.ThrowsAsync<StoreFailureException>(() => store.AppendManyAsync([Draft("one"), Draft("two")], CancellationToken.None).AsTask());
        StoreFailureException registryFull = await Assert.ThrowsAsync<StoreFailureException>(async () =>
        {
            for (int i = 0; i < 1000; i++)
            {
                await registry.UpsertAgentAsync(new Core.Agents.AgentProfile($"agent-{i}", null, null, new string('d', 500), null), 0, CancellationToken.None);
            }
        });
        Assert.Contains("full", registryFull.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Full_disk_at_start_is_named_as_such_not_as_a_path_problem()
    {
        StoreFailureException full = Assert.Throws<StoreFailureException>(() => SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath, MaxPageCount = 1 }, TimeProvider.System));

        Assert.Contains("disk holding the Meshfleet store is full", full.Message, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, full.Message, StringComparison.Ordinal);
        Assert.DoesNotContain("permissions", full.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Damaged_page_is_caught_at_open_with_the_way_to_recover()
    {
        await using (SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, TimeProvider.System))
        {
            for (int i = 0; i < 400; i++)
            {
                await store.AppendAsync(Draft($"message {i} " + new string('x', 500)), CancellationToken.None);
            }
        }

        SqliteConnection.ClearAllPools();
        Assert.False(File.Exists(DatabasePath + "-wal") && new FileInfo(DatabasePath + "-wal").Length > 0, "the last close checkpoints the log into the file");
        int pageSize = 4096;
        Assert.True(new FileInfo(DatabasePath).Length > 40 * pageSize);
        await using (FileStream file = File.OpenWrite(DatabasePath))
        {
            // The header of a page in the middle of the messages table: its page type and cell count become nonsense.
            file.Position = (20 * pageSize) + (pageSize / 2);
            file.Write(Enumerable.Repeat((byte)0xA5, pageSize / 2).ToArray());
            file.Position = 30 * pageSize;
            file.Write(Enumerable.Repeat((byte)0xA5, 16).ToArray());
        }

        StoreFailureException damaged = Assert.Throws<StoreFailureException>(() => SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, TimeProvider.System));
        Assert.Contains("store is damaged", damaged.Message, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, damaged.Message, StringComparison.Ordinal);
        Assert.Contains("meshfleet import", damaged.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task File_that_is_not_a_database_is_named_as_such()
    {
        await File.WriteAllTextAsync(DatabasePath, string.Concat(Enumerable.Repeat("these are someone's notes, not a Meshfleet store. ", 200)));

        StoreFailureException refused = Assert.Throws<StoreFailureException>(() => SqliteMessageStore.Open(new SqliteStoreOptions { Path = DatabasePath }, TimeProvider.System));
        Assert.Contains("is not a SQLite database", refused.Message, StringComparison.Ordinal);
        Assert.Contains(DatabasePath, refused.Message, StringComparison.Ordinal);
        Assert.StartsWith("these are someone's notes", await File.ReadAllTextAsync(DatabasePath), StringComparison.Ordinal);
    }

    private static MessageDraft Draft(string payload) =>
        new($"msg_{Guid.NewGuid():N}", "a", "b", payload, 1);
}
