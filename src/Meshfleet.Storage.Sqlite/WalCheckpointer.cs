using System.Threading.Channels;
using Microsoft.Data.Sqlite;
using SQLitePCL;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// Copies the WAL back into the database file on a connection of its own, beside the writer. SQLite's automatic
/// checkpoint runs inside the COMMIT that crosses its threshold, and its two fsyncs (WAL, then database file) kept the
/// group commit waiting for the disk for a third of its time under load. A PASSIVE checkpoint here neither blocks nor
/// waits for the writer. It cannot let the WAL start over while appends keep arriving, though: SQLite rewinds the WAL
/// only once every frame in it is copied. So when the WAL passes <see cref="RewindAfterFrames"/> the checkpoint runs
/// once more holding the write lock, which copies just the frames added since the last one, and the next commit
/// rewinds the WAL. Should the disk stall a checkpoint, the writer stops once it is <see cref="MaxAppendsAhead"/>
/// appends past the last rewind, as it used to stop for its own checkpoint, so the WAL stays bounded.
/// Durability is unchanged: a checkpoint syncs the same way whichever connection runs it.
/// </summary>
internal sealed class WalCheckpointer : IAsyncDisposable
{
    /// <summary>Appends between two checkpoints: 500 to 1300 WAL pages, as appends share commits or not.</summary>
    public const int AppendsPerCheckpoint = 512;

    /// <summary>
    /// The writer's own automatic checkpoint threshold, in WAL pages: only a bound on the WAL's size should this
    /// checkpointer fall behind (SQLite's default, 1000, would have the writer checkpoint as before).
    /// </summary>
    public const int WriterThreshold = 16000;

    /// <summary>WAL pages after which the checkpoint takes the write lock so that the WAL can start over (8 MiB at 4 KiB pages).</summary>
    private const int RewindAfterFrames = 4000;

    /// <summary>Appends after the last rewind at which the writer waits for the next one (2 to 5 WAL pages each).</summary>
    private const int MaxAppendsAhead = 4096;

    private readonly SqliteConnection _connection;
    private readonly SemaphoreSlim _writeLock;
    private readonly Channel<bool> _due = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    private readonly Task _loop;
    private int _appendsSinceNudge;
    private int _walFrames;
    private volatile int _appendsSinceRewind;
    private volatile TaskCompletionSource _rewound = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public WalCheckpointer(string connectionString, string synchronousPragma, SemaphoreSlim writeLock)
    {
        _writeLock = writeLock;
        _connection = new SqliteConnection(connectionString);
        _connection.Open();
        foreach (string pragma in (ReadOnlySpan<string>)["PRAGMA busy_timeout = 10000", synchronousPragma])
        {
            using SqliteCommand command = _connection.CreateCommand();
            command.CommandText = pragma;
            command.ExecuteNonQuery();
        }

        _loop = Task.Run(CheckpointWhenDueAsync);
    }

    /// <summary>True when the writer should wait (<see cref="WaitUntilCaughtUpAsync"/>) before it appends more.</summary>
    public bool FarBehind => _appendsSinceRewind >= MaxAppendsAhead;

    /// <summary>Counts appends the writer committed; every <see cref="AppendsPerCheckpoint"/> it asks for a checkpoint. Under the write lock.</summary>
    public void Appended(int count)
    {
        _appendsSinceNudge += count;
        _appendsSinceRewind += count;
        if (_appendsSinceNudge >= AppendsPerCheckpoint || FarBehind)
        {
            _appendsSinceNudge = 0;
            _due.Writer.TryWrite(true);
        }
    }

    /// <summary>Completes once the WAL has been rewound, if the writer is <see cref="FarBehind"/>; at once otherwise.</summary>
    public Task WaitUntilCaughtUpAsync()
    {
        // Read before the check: a rewind between the two clears FarBehind before it swaps the source.
        Task rewound = _rewound.Task;
        return FarBehind ? rewound : Task.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        _due.Writer.TryComplete();
        await _loop.ConfigureAwait(false);
        await _connection.DisposeAsync().ConfigureAwait(false);
    }

    private async Task CheckpointWhenDueAsync()
    {
        while (await _due.Reader.WaitToReadAsync().ConfigureAwait(false))
        {
            _due.Reader.TryRead(out _);

            // A failed or busy checkpoint loses nothing: the frames stay in the WAL for the next one. The WAL's length
            // as the last checkpoint saw it decides which kind runs, so the locked one finds little left to copy.
            if (_walFrames < RewindAfterFrames && !FarBehind)
            {
                _walFrames = Checkpoint();
                continue;
            }

            TaskCompletionSource waiting = _rewound;
            await _writeLock.WaitAsync().ConfigureAwait(false);
            try
            {
                Checkpoint();
                _walFrames = 0;
                _appendsSinceRewind = 0;
                _rewound = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            }
            finally
            {
                _writeLock.Release();
            }

            waiting.TrySetResult();
        }
    }

    /// <summary>Runs a PASSIVE checkpoint; returns the WAL's length in frames (0 when SQLite could not say).</summary>
    private int Checkpoint()
    {
        int rc = raw.sqlite3_wal_checkpoint_v2(_connection.Handle, "main", raw.SQLITE_CHECKPOINT_PASSIVE, out int frames, out _);
        return rc == raw.SQLITE_OK ? frames : 0;
    }
}
