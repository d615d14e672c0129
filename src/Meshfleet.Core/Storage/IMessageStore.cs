using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Storage;

/// <summary>
/// The durable ledger behind the mesh. Every backend keeps the same semantics:
/// <list type="bullet">
/// <item>An append is durable when it returns, and gets a seq greater than every seq before it.</item>
/// <item>Once a seq is visible to a reader, every smaller seq is visible too (no holes behind a cursor).</item>
/// <item>Reads after a cursor are exclusive and oldest first.</item>
/// </list>
/// </summary>
public interface IMessageStore : IAsyncDisposable
{
    /// <summary>A stable id of this store, shared by every process that opens it.</summary>
    string StoreId { get; }

    /// <summary>Appends a message and returns it with its seq. A repeated idempotency key returns the first message.</summary>
    ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken);

    /// <summary>Appends several messages in one transaction (all or none), in order.</summary>
    ValueTask<IReadOnlyList<MeshMessage>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken);

    /// <summary>Finds a message by id.</summary>
    ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken);

    /// <summary>Reads one agent's inbox after <paramref name="afterSeq"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>Reads the whole mesh's ledger after <paramref name="afterSeq"/>, oldest first.</summary>
    ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken);

    /// <summary>The highest seq stored, or 0 for an empty store.</summary>
    ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Streams every message after <paramref name="afterSeq"/> as it is committed, by any process, in seq order.
    /// </summary>
    IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken);

    /// <summary>
    /// Appends messages from an export in their order, keeping their ids and timestamps and giving them new seqs.
    /// A message whose id is already stored is skipped. Returns how many were added.
    /// </summary>
    ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken);

    /// <summary>Tells the tail that another process may have appended, so it looks now rather than at its next poll.</summary>
    void NotifyExternalAppend();
}
