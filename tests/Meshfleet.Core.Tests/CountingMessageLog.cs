using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Core.Tests;

/// <summary>
/// A real message log (the in-memory backend) seen through a wrapper that counts inbox reads per agent and can run a step
/// right after a read returns, before the caller sees it: to tell a handed-over message from one read again.
/// </summary>
internal sealed class CountingMessageLog : IMessageLog
{
    private readonly IMessageLog _inner;
    private readonly Dictionary<string, int> _inboxReads = new(StringComparer.Ordinal);

    public CountingMessageLog(IMessageLog inner)
    {
        _inner = inner;
    }

    /// <summary>Runs after each inbox read, before its result is returned: (agent id, how many reads of it so far).</summary>
    public Func<string, int, ValueTask>? AfterInboxRead { get; set; }

    public string StoreId => _inner.StoreId;

    public StorageTraits Traits => _inner.Traits;

    public int InboxReads(string agentId)
    {
        lock (_inboxReads)
        {
            return _inboxReads.GetValueOrDefault(agentId);
        }
    }

    public async ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        IReadOnlyList<MeshMessage> messages = await _inner.ReadInboxAsync(agentId, afterSeq, limit, cancellationToken);
        int count;
        lock (_inboxReads)
        {
            count = _inboxReads[agentId] = _inboxReads.GetValueOrDefault(agentId) + 1;
        }

        if (AfterInboxRead is { } step)
        {
            await step(agentId, count);
        }

        return messages;
    }

    public ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken) => _inner.AppendAsync(draft, cancellationToken);

    public ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken) => _inner.AppendManyAsync(drafts, cancellationToken);

    public ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken) => _inner.GetMessageAsync(messageId, cancellationToken);

    public ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) => _inner.ReadAfterAsync(afterSeq, limit, cancellationToken);

    public ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken) => _inner.ReadHeadSeqAsync(cancellationToken);

    public IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken) => _inner.TailAsync(afterSeq, cancellationToken);

    public ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken) => _inner.ImportAsync(batch, cancellationToken);
}
