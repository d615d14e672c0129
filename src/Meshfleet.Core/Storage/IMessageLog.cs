using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Storage;

/// <summary>
/// The message log, the first of the three storage roles (with <see cref="Agents.IAgentDirectory"/> and
/// <see cref="Delivery.IDeliveryLedger"/>). Every backend keeps the same semantics:
/// <list type="bullet">
/// <item>An append is durable when it returns, and gets a seq greater than every seq before it.</item>
/// <item>Once a seq is visible to a reader, every smaller seq is visible too (no holes behind a cursor).</item>
/// <item>Reads after a cursor are exclusive and oldest first.</item>
/// </list>
/// What may differ between backends (how long an idempotency key is kept, batch atomicity) is stated in
/// <see cref="Traits"/>, never assumed by callers or tests.
/// </summary>
public interface IMessageLog
{
    /// <summary>A stable id of this store, shared by every process that opens it.</summary>
    string StoreId { get; }

    /// <summary>What this backend guarantees where backends differ.</summary>
    StorageTraits Traits { get; }

    /// <summary>
    /// Appends a message and returns it with its seq. A repeated idempotency key (same sender, within
    /// <see cref="StorageTraits.IdempotencyWindow"/>) returns the first message with <see cref="AppendResult.Duplicate"/> set.
    /// A draft with <see cref="MessageDraft.AckDueAt"/> also schedules its ack in the backend's delivery ledger.
    /// </summary>
    ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken);

    /// <summary>
    /// Appends several messages in order, all or none when <see cref="StorageTraits.AtomicBatchAppend"/>. Idempotency keys
    /// count as in <see cref="AppendAsync"/>: a repeated key yields the first message, marked duplicate, in its place.
    /// </summary>
    ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken);

    /// <summary>Finds a message by id.</summary>
    ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Reads one agent's inbox after <paramref name="afterSeq"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Reads the whole mesh's ledger after <paramref name="afterSeq"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The highest seq stored, or 0 for an empty store.</summary>
    ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Streams every message after <paramref name="afterSeq"/> as it is committed, in seq order. Appends through this
    /// handle wake it at once; appends by other processes do too, unless <see cref="StorageTraits.NeedsExternalChangeSignal"/>
    /// says the host must deliver that signal (without it they arrive at the backend's poll).
    /// </summary>
    IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken);

    /// <summary>
    /// Appends messages from an export in their order, keeping their ids and timestamps and giving them new seqs.
    /// A message whose id is already stored is skipped. Returns how many were added.
    /// </summary>
    ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken);
}
