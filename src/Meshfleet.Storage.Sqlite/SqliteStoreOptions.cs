namespace Meshfleet.Storage.Sqlite;

/// <summary>Where and how the embedded store keeps the ledger.</summary>
public sealed record SqliteStoreOptions
{
    /// <summary>Path of the database file; its directory is created when missing.</summary>
    public required string Path { get; init; }

    /// <summary>
    /// True to fsync every commit (survives power loss). False keeps WAL with synchronous=NORMAL:
    /// a commit survives any process crash, including SIGKILL, and the last commits may be lost only on power loss.
    /// </summary>
    public bool SyncEveryCommit { get; init; }

    /// <summary>How often the tail looks at the store when no wake-up arrives (appends by other processes).</summary>
    public TimeSpan PollInterval { get; init; } = TimeSpan.FromMilliseconds(250);

    /// <summary>
    /// Caps the file at this many pages (never below its size at open), so writes past it, migrations included, fail as on a full disk:
    /// the way tests fill the disk without filling a real one.
    /// </summary>
    internal long? MaxPageCount { get; init; }
}
