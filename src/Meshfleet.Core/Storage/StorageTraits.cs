namespace Meshfleet.Core.Storage;

/// <summary>
/// What a storage backend guarantees where backends legitimately differ. The backend states it; the host and the
/// compliance suites read it instead of assuming SQLite's answers.
/// </summary>
/// <param name="Backend">A short name for logs and test output: <c>sqlite</c>, <c>memory</c>, <c>nats</c>.</param>
/// <param name="IdempotencyWindow">How long an idempotency key keeps returning the first message; null: forever.</param>
/// <param name="AtomicBatchAppend">True when <see cref="IMessageLog.AppendManyAsync"/> stores all drafts or none.</param>
/// <param name="AtomicAcrossRoles">
/// True when a message and the delivery state that goes with it commit in one write: the ack schedule of a draft with
/// <c>AckDueAt</c>, and a dead letter with its notice. False: the backend writes them one after the other.
/// </param>
/// <param name="NeedsExternalChangeSignal">
/// True when a tail sees another process's appends only at its poll unless the host signals it (SQLite: the UDP wake);
/// false when the backend pushes every append to every tail itself.
/// </param>
/// <param name="Durable">True when the data outlives the process (false for the in-memory backend).</param>
public sealed record StorageTraits(
    string Backend,
    TimeSpan? IdempotencyWindow,
    bool AtomicBatchAppend,
    bool AtomicAcrossRoles,
    bool NeedsExternalChangeSignal,
    bool Durable);
