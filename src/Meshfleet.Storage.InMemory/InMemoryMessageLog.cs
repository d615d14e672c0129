using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.InMemory;

/// <summary>
/// One handle on an in-memory store's message log, with its own tail. Every append through any handle of the same
/// <see cref="InMemoryBackend"/> wakes every handle's tail at once, so no external change signal is needed.
/// </summary>
public sealed class InMemoryMessageLog : IMessageLog, IAsyncDisposable
{
    private readonly InMemoryState _state;
    private readonly CursorTail _tail;

    internal InMemoryMessageLog(InMemoryState state, TimeSpan pollInterval, TimeProvider time)
    {
        _state = state;
        _tail = new CursorTail(ReadAfterAsync, pollInterval, time);
        _state.Appended += _tail.Wake;
    }

    /// <inheritdoc />
    public string StoreId => _state.StoreId;

    /// <inheritdoc />
    public StorageTraits Traits => InMemoryBackend.Traits;

    /// <inheritdoc />
    public ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        (MeshMessage Message, bool Duplicate) result;
        lock (_state.Gate)
        {
            result = _state.AppendLocked(draft);
        }

        if (!result.Duplicate)
        {
            _state.RaiseAppended();
        }

        return ValueTask.FromResult(new AppendResult(result.Message, result.Duplicate));
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        var results = new List<AppendResult>(drafts.Count);
        lock (_state.Gate)
        {
            // All or none: everything that could refuse a draft is checked before the first one is stored.
            var ids = new HashSet<string>(StringComparer.Ordinal);
            var keys = new HashSet<(string, string)>();
            foreach (MessageDraft draft in drafts)
            {
                bool duplicate = draft.IdempotencyKey is { } key
                    && (_state.ByIdempotencyKey.ContainsKey((draft.FromAgentId, key)) || !keys.Add((draft.FromAgentId, key)));
                if (!duplicate)
                {
                    _state.ThrowIfIdTaken(draft.MessageId);
                    if (!ids.Add(draft.MessageId))
                    {
                        throw new InvalidOperationException($"Message id '{draft.MessageId}' appears twice in one batch; message ids are unique.");
                    }
                }
            }

            foreach (MessageDraft draft in drafts)
            {
                (MeshMessage message, bool duplicate) = _state.AppendLocked(draft);
                results.Add(new AppendResult(message, duplicate));
            }
        }

        if (results.Exists(r => !r.Duplicate))
        {
            _state.RaiseAppended();
        }

        return ValueTask.FromResult<IReadOnlyList<AppendResult>>(results);
    }

    /// <inheritdoc />
    public ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.ById.GetValueOrDefault(messageId));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (!_state.Inboxes.TryGetValue(agentId, out List<MeshMessage>? inbox))
            {
                return ValueTask.FromResult<IReadOnlyList<MeshMessage>>([]);
            }

            int start = FirstAfter(inbox, afterSeq);
            return ValueTask.FromResult<IReadOnlyList<MeshMessage>>(inbox.GetRange(start, Math.Min(Math.Max(limit, 0), inbox.Count - start)));
        }
    }

    /// <inheritdoc />
    public ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            int start = (int)Math.Clamp(afterSeq, 0, _state.Messages.Count);
            return ValueTask.FromResult<IReadOnlyList<MeshMessage>>(_state.Messages.GetRange(start, Math.Min(Math.Max(limit, 0), _state.Messages.Count - start)));
        }
    }

    /// <inheritdoc />
    public ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult((long)_state.Messages.Count);
        }
    }

    /// <inheritdoc />
    public IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken) =>
        _tail.ReadAsync(afterSeq, cancellationToken);

    /// <inheritdoc />
    public ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken)
    {
        int added = 0;
        lock (_state.Gate)
        {
            foreach (MeshMessage message in batch)
            {
                if (!_state.ById.ContainsKey(message.MessageId))
                {
                    _state.AddLocked(message);
                    added++;
                }
            }
        }

        if (added > 0)
        {
            _state.RaiseAppended();
        }

        return ValueTask.FromResult(added);
    }

    public ValueTask DisposeAsync()
    {
        _state.Appended -= _tail.Wake;
        return ValueTask.CompletedTask;
    }

    /// <summary>The index of the first message with a seq above <paramref name="afterSeq"/> (the inbox is in seq order).</summary>
    private static int FirstAfter(List<MeshMessage> inbox, long afterSeq)
    {
        int low = 0;
        int high = inbox.Count;
        while (low < high)
        {
            int middle = low + ((high - low) / 2);
            if (inbox[middle].Seq <= afterSeq)
            {
                low = middle + 1;
            }
            else
            {
                high = middle;
            }
        }

        return low;
    }
}
