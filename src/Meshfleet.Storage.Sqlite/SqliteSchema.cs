namespace Meshfleet.Storage.Sqlite;

/// <summary>What the executable may know about the store's schema without opening (and so migrating) a store.</summary>
public static class SqliteSchema
{
    /// <summary>The schema version (<c>PRAGMA user_version</c>) this build writes and reads up to.</summary>
    public static int LatestVersion => SchemaMigrations.Latest;
}
