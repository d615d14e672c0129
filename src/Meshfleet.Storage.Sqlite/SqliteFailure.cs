using Meshfleet.Core.Storage;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// Turns SQLite's result codes that no caller can fix by retrying (full disk, damaged file, no access) into a
/// <see cref="StoreFailureException"/> that says what happened, where the store is, and what to do.
/// </summary>
internal static class SqliteFailure
{
    private const int Perm = 3;
    private const int ReadOnly = 8;
    private const int IoError = 10;
    private const int Corrupt = 11;
    private const int Full = 13;
    private const int CantOpen = 14;
    private const int NotADatabase = 26;

    private const string Recovery =
        "Stop every Meshfleet process that uses it and move the file " +
        "aside together with its -wal and -shm files. Then restore it from a backup, or let Meshfleet create a new store there " +
        "and load your last export into it with `meshfleet import FILE`. Rows still readable in the damaged file can be salvaged " +
        "with `sqlite3 DAMAGED-FILE .recover`.";

    /// <summary>True when <paramref name="ex"/> is one of the failures <see cref="Explain"/> has words for.</summary>
    public static bool IsKnown(SqliteException ex) => (ex.SqliteErrorCode & 0xFF) is Perm or ReadOnly or IoError or Corrupt or Full or CantOpen or NotADatabase;

    public static StoreFailureException Explain(SqliteException ex, string path) => new((ex.SqliteErrorCode & 0xFF) switch
    {
        Full => $"The disk holding the Meshfleet store is full (store: {path}), so nothing new can be stored. Free space on that disk, " +
            "or move the store to a disk with room (MESHFLEET_DB / --db), then try again. Everything stored before is intact.",
        Corrupt => Damaged(path, "a page of the file is damaged"),
        NotADatabase => $"The file at {path} is not a SQLite database, or its header is damaged. If MESHFLEET_DB / --db points at the " +
            "wrong file, point it at your store (or at a new path for a new mesh). If it is your store: " + Recovery,
        IoError => $"The disk refused to read or write the Meshfleet store (store: {path}; {ex.Message}). Check that the disk is " +
            "still mounted and healthy and has free space, then try again.",
        ReadOnly or Perm => $"The Meshfleet store is read-only for this process (store: {path}). Give this user write permission on " +
            "the file and its folder (SQLite also writes -wal and -shm files beside it), or set MESHFLEET_DB / --db to a writable file.",
        _ => $"The Meshfleet store cannot be opened (store: {path}; {ex.Message}). Check that the folder exists and this user may " +
            "write to it, or set MESHFLEET_DB / --db to a writable file.",
    }, ex);

    /// <summary>The message for a store whose file is damaged, with the ways to get its messages back.</summary>
    public static string Damaged(string path, string what) =>
        $"The Meshfleet store is damaged: {what} (store: {path}). " + Recovery;

    /// <summary>
    /// Refuses a file with a damaged page before anything else reads it: otherwise the damage surfaces later, in the
    /// middle of some send or read, as an error that no longer says where it came from.
    /// </summary>
    public static void ThrowIfDamaged(SqliteConnection connection, string path)
    {
        using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA quick_check(1)";
        string verdict = Convert.ToString(command.ExecuteScalar(), System.Globalization.CultureInfo.InvariantCulture) ?? string.Empty;
        if (verdict != "ok")
        {
            throw new StoreFailureException(Damaged(path, $"PRAGMA quick_check reports \"{verdict}\""));
        }
    }
}
