using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;

namespace Meshfleet.Storage.InMemory;

/// <summary>
/// Everything one in-memory store holds, behind one lock: a write and the state that goes with it (an ack schedule, a
/// dead letter and its notice) change together, as one SQLite transaction would.
/// </summary>
internal sealed class InMemoryState
{
    public Lock Gate { get; } = new();

    public string StoreId { get; } = "mem_" + Guid.CreateVersion7().ToString("N");

    /// <summary>The ledger in seq order; seq n is at index n - 1 (seqs are dense: nothing is ever deleted).</summary>
    public List<MeshMessage> Messages { get; } = [];

    public Dictionary<string, MeshMessage> ById { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string From, string Key), MeshMessage> ByIdempotencyKey { get; } = [];

    public Dictionary<string, List<MeshMessage>> Inboxes { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, DeliveryRow> Deliveries { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, AgentRow> Agents { get; } = new(StringComparer.Ordinal);

    public SortedDictionary<string, Fleet> Fleets { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, (byte[] Hash, long CreatedAt)> Keys { get; } = new(StringComparer.Ordinal);

    public Dictionary<(string Model, string AgentId), StoredEmbedding> Embeddings { get; } = [];

    public Dictionary<string, RouteRecord> Routes { get; } = new(StringComparer.Ordinal);

    public Dictionary<string, string> Meta { get; } = new(StringComparer.Ordinal);

    /// <summary>Raised after a commit that added messages, outside the lock; every open log handle wakes its tail.</summary>
    public event Action? Appended;

    public void RaiseAppended() => Appended?.Invoke();

    /// <summary>Appends under the lock (the caller holds it), applying the idempotency key and the ack schedule.</summary>
    public (MeshMessage Message, bool Duplicate) AppendLocked(MessageDraft draft)
    {
        if (draft.IdempotencyKey is { } key && ByIdempotencyKey.TryGetValue((draft.FromAgentId, key), out MeshMessage? first))
        {
            return (first, true);
        }

        MeshMessage message = AddLocked(new MeshMessage(draft.MessageId, 0, draft.FromAgentId, draft.ToAgentId, draft.Payload, draft.Timestamp, draft.ThreadId, draft.ReplyTo));
        if (draft.IdempotencyKey is { } newKey)
        {
            ByIdempotencyKey[(draft.FromAgentId, newKey)] = message;
        }

        if (draft.AckDueAt is { } due)
        {
            Deliveries[message.MessageId] = new DeliveryRow(message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId, RequiresAck: true, Attempts: 0, NextAttemptAt: due, PushedStreams: 0, FirstPushedAt: null, LastPushedAt: null, AckedAt: null, DeadLetteredAt: null);
        }

        return (message, false);
    }

    /// <summary>Checks what an append would be refused for, before a batch changes anything (all or none).</summary>
    public void ThrowIfIdTaken(string messageId)
    {
        if (ById.ContainsKey(messageId))
        {
            throw new InvalidOperationException($"A message with id '{messageId}' is already stored; message ids are unique.");
        }
    }

    /// <summary>Stores a message with the next seq (the caller holds the lock and checked the id).</summary>
    public MeshMessage AddLocked(MeshMessage unsequenced)
    {
        ThrowIfIdTaken(unsequenced.MessageId);
        MeshMessage message = unsequenced with { Seq = Messages.Count + 1 };
        Messages.Add(message);
        ById[message.MessageId] = message;
        if (!Inboxes.TryGetValue(message.ToAgentId, out List<MeshMessage>? inbox))
        {
            inbox = [];
            Inboxes[message.ToAgentId] = inbox;
        }

        inbox.Add(message);
        return message;
    }
}
