using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Messaging;

/// <summary>
/// The mesh as its transports see it: validated sends into the durable ledger, inbox reads by cursor, and live streams.
/// </summary>
public sealed class Mesh
{
    private readonly IMessageStore _store;
    private readonly StreamHub _hub;
    private readonly MeshLimits _limits;
    private readonly TimeProvider _time;

    public Mesh(IMessageStore store, StreamHub hub, MeshLimits limits, TimeProvider time)
    {
        _store = store;
        _hub = hub;
        _limits = limits;
        _time = time;
    }

    /// <summary>The limits every transport checks.</summary>
    public MeshLimits Limits => _limits;

    /// <summary>The store behind this mesh.</summary>
    public IMessageStore Store => _store;

    /// <summary>The live fan-out of this process.</summary>
    public StreamHub Hub => _hub;

    /// <summary>Raised after a new message is committed (not for an idempotent repeat).</summary>
    public event Action<MeshMessage>? Appended;

    /// <summary>Validates and stores a message; it is durable when this returns, and pushed after.</summary>
    public async ValueTask<AppendResult> SendAsync(
        string? fromAgentId,
        string? toAgentId,
        string? payload,
        string? threadId,
        string? replyTo,
        string? idempotencyKey,
        CancellationToken cancellationToken)
    {
        var draft = new MessageDraft(
            MessageId: NewMessageId(),
            FromAgentId: InputRules.AgentId(fromAgentId, "from_agent_id"),
            ToAgentId: InputRules.AgentId(toAgentId, "to_agent_id"),
            Payload: InputRules.Payload(payload, _limits),
            Timestamp: _time.GetUtcNow().ToUnixTimeMilliseconds(),
            ThreadId: InputRules.OptionalReference(threadId, "thread_id"),
            ReplyTo: InputRules.OptionalReference(replyTo, "reply_to"),
            IdempotencyKey: InputRules.OptionalReference(idempotencyKey, "idempotency_key"));
        AppendResult result = await _store.AppendAsync(draft, cancellationToken).ConfigureAwait(false);
        if (!result.Duplicate)
        {
            Appended?.Invoke(result.Message);
        }

        return result;
    }

    /// <summary>Reads an agent's inbox after <paramref name="since"/> (exclusive), oldest first.</summary>
    public async ValueTask<InboxPage> GetInboxAsync(string? agentId, long? since, long? limit, CancellationToken cancellationToken)
    {
        string agent = InputRules.AgentId(agentId, "agent_id");
        long cursor = InputRules.Cursor(since, "since");
        int pageSize = InputRules.Limit(limit);
        IReadOnlyList<MeshMessage> messages = await _store.ReadInboxAsync(agent, cursor, pageSize, cancellationToken).ConfigureAwait(false);
        long next = messages.Count > 0 ? messages[^1].Seq : cursor;
        return new InboxPage(messages, next);
    }

    /// <summary>
    /// Opens a stream of an agent's inbox that replays what is stored after <paramref name="afterSeq"/> and then goes live,
    /// or returns null when the agent already holds the maximum number of streams.
    /// </summary>
    public InboxStream? OpenStream(string agentId, long afterSeq)
    {
        InboxSubscription? subscription = _hub.TryOpen(agentId);
        return subscription is null ? null : new InboxStream(_store, subscription, afterSeq);
    }

    private static string NewMessageId() => "msg_" + Guid.CreateVersion7().ToString("N");
}
