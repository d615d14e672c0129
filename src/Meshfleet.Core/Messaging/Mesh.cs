using System.Text.Json;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Messaging;

/// <summary>
/// The mesh as its transports see it: validated sends into the durable ledger, inbox reads by cursor, and live streams.
/// </summary>
public sealed class Mesh
{
    /// <summary>The longest a get_inbox call may wait for mail.</summary>
    public const int MaxWaitSeconds = 300;

    private readonly IMessageLog _store;
    private readonly IAgentDirectory _directory;
    private readonly IDeliveryLedger _ledger;
    private readonly StreamHub _hub;
    private readonly MeshLimits _limits;
    private readonly RetryPolicy _retry;
    private readonly TimeProvider _time;
    // Sends run concurrently and Random is not thread-safe (a shared instance can corrupt its state and return 0 forever).
    private readonly Random _random = Random.Shared;

    // Agents seen to exist stay known (agents are never deleted), so the check costs reads only once per recipient.
    private readonly System.Collections.Concurrent.ConcurrentDictionary<string, bool> _known = new(StringComparer.Ordinal);

    public Mesh(IMessageLog store, IAgentDirectory directory, IDeliveryLedger ledger, StreamHub hub, MeshLimits limits, RetryPolicy retry, TimeProvider time)
    {
        _store = store;
        _directory = directory;
        _ledger = ledger;
        _hub = hub;
        _limits = limits;
        _retry = retry;
        _time = time;
    }

    /// <summary>The agents and fleets.</summary>
    public IAgentDirectory Directory => _directory;

    /// <summary>What happened to each message on its way to the model: pushes, reads, acks, dead letters.</summary>
    public IDeliveryLedger Ledger => _ledger;

    /// <summary>The clock of the mesh.</summary>
    public TimeProvider Time => _time;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    /// <summary>The limits every transport checks.</summary>
    public MeshLimits Limits => _limits;

    /// <summary>The message log behind this mesh.</summary>
    public IMessageLog Store => _store;

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
        CancellationToken cancellationToken,
        bool requiresAck = false)
    {
        long now = Now;
        var draft = new MessageDraft(
            MessageId: NewMessageId(),
            FromAgentId: NotSystem(InputRules.AgentId(fromAgentId, "from_agent_id")),
            ToAgentId: InputRules.AgentId(toAgentId, "to_agent_id"),
            Payload: InputRules.Payload(payload, _limits),
            Timestamp: now,
            ThreadId: InputRules.OptionalReference(threadId, "thread_id"),
            ReplyTo: InputRules.OptionalReference(replyTo, "reply_to"),
            IdempotencyKey: InputRules.OptionalReference(idempotencyKey, "idempotency_key"),
            AckDueAt: requiresAck ? now + (long)_retry.DelayBefore(1, _random).TotalMilliseconds : null);
        AppendResult result = await _store.AppendAsync(draft, cancellationToken).ConfigureAwait(false);
        if (!result.Duplicate)
        {
            Appended?.Invoke(result.Message);
        }

        return result;
    }

    /// <summary>Sends one message to every other member of a fleet, each into its own inbox, in one transaction.</summary>
    public async ValueTask<BroadcastResult> BroadcastAsync(string? fromAgentId, string? fleetId, string? payload, CancellationToken cancellationToken)
    {
        string from = NotSystem(InputRules.AgentId(fromAgentId, "from_agent_id"));
        string fleet = InputRules.AgentId(fleetId, "fleet_id");
        string text = InputRules.Payload(payload, _limits);
        if (await _directory.GetFleetAsync(fleet, cancellationToken).ConfigureAwait(false) is null)
        {
            throw new MeshInputException($"There is no fleet '{fleet}'. Create it with create_fleet, and add agents with register_agent(fleet_id=\"{fleet}\").");
        }

        IReadOnlyList<AgentRow> members = await _directory.ListAgentsAsync(fleet, cancellationToken).ConfigureAwait(false);
        long now = Now;
        string thread = NewMessageId();
        MessageDraft[] drafts = members
            .Where(m => m.Profile.AgentId != from)
            .Select(m => new MessageDraft(NewMessageId(), from, m.Profile.AgentId, text, now, ThreadId: thread))
            .ToArray();
        if (drafts.Length == 0)
        {
            throw new MeshInputException($"Fleet '{fleet}' has no members besides '{from}'. Add agents with register_agent(fleet_id=\"{fleet}\") first.");
        }

        IReadOnlyList<AppendResult> sent = await _store.AppendManyAsync(drafts, cancellationToken).ConfigureAwait(false);
        foreach (AppendResult result in sent)
        {
            if (!result.Duplicate)
            {
                Appended?.Invoke(result.Message);
            }
        }

        return new BroadcastResult(fleet, sent.Select(r => r.Message).ToArray());
    }

    /// <summary>Answers a message: to its sender, <c>reply_to</c> = it, <c>thread_id</c> inherited (or its id).</summary>
    public async ValueTask<MeshMessage> ReplyAsync(string? fromAgentId, string? messageId, string? payload, CancellationToken cancellationToken)
    {
        string from = InputRules.AgentId(fromAgentId, "from_agent_id");
        MeshMessage original = await FindMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (original.ToAgentId != from)
        {
            throw new MeshInputException($"Message {original.MessageId} was sent to '{original.ToAgentId}', not to '{from}': reply only to messages in your own inbox (or use send_message).");
        }

        if (original.FromAgentId == AgentRegistry.SystemAgentId)
        {
            throw new MeshInputException($"Message {original.MessageId} is a system notice from Meshfleet; there is nobody to reply to.");
        }

        AppendResult result = await SendAsync(from, original.FromAgentId, payload, original.ThreadId ?? original.MessageId, original.MessageId, null, cancellationToken).ConfigureAwait(false);
        return result.Message;
    }

    /// <summary>Acknowledges a message sent with requires_ack, which stops its redelivery.</summary>
    public async ValueTask<DeliveryStatus> AckAsync(string? agentId, string? messageId, CancellationToken cancellationToken)
    {
        string agent = InputRules.AgentId(agentId, "agent_id");
        MeshMessage message = await FindMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        if (message.ToAgentId != agent)
        {
            throw new MeshInputException($"Message {message.MessageId} was sent to '{message.ToAgentId}', not to '{agent}'; only its recipient can ack it.");
        }

        await _ledger.AckAsync(agent, message.MessageId, Now, cancellationToken).ConfigureAwait(false);
        return await GetStatusAsync(message.MessageId, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Where a message is on its way to the model: stored, pushed, notified, read, acked or dead-lettered, with times.</summary>
    public async ValueTask<DeliveryStatus> GetStatusAsync(string? messageId, CancellationToken cancellationToken)
    {
        MeshMessage message = await FindMessageAsync(messageId, cancellationToken).ConfigureAwait(false);
        DeliveryRow? row = await _ledger.GetDeliveryAsync(message.MessageId, cancellationToken).ConfigureAwait(false);
        string status = row switch
        {
            { DeadLetteredAt: not null } => "dead_lettered",
            { AckedAt: not null } => "acked",
            { ReadAt: not null } => "read",
            { NotifiedSessions: > 0 } => "notified",
            { PushedStreams: > 0 } => "pushed",
            _ => "stored",
        };
        return new DeliveryStatus(
            message.MessageId, message.Seq, message.FromAgentId, message.ToAgentId, status, message.Timestamp,
            row?.RequiresAck ?? false, row?.PushedStreams ?? 0, row?.FirstPushedAt, row?.LastPushedAt,
            row?.Attempts ?? 0, row?.AckedAt is null && row?.DeadLetteredAt is null ? row?.NextAttemptAt : null, row?.AckedAt, row?.DeadLetteredAt,
            row?.NotifiedSessions ?? 0, row?.FirstNotifiedAt, row?.ReadAt);
    }

    /// <summary>Stores a system notice from Meshfleet itself (dead letters, presence changes).</summary>
    public async ValueTask<IReadOnlyList<MeshMessage>> NotifyAsync(IEnumerable<string> recipients, SystemNotice notice, string? replyTo, CancellationToken cancellationToken)
    {
        MessageDraft[] drafts = recipients.Select(to => NoticeDraft(to, notice, replyTo)).ToArray();
        if (drafts.Length == 0)
        {
            return [];
        }

        IReadOnlyList<AppendResult> stored = await _store.AppendManyAsync(drafts, cancellationToken).ConfigureAwait(false);
        return stored.Select(r => r.Message).ToArray();
    }

    /// <summary>The message that carries <paramref name="notice"/> to one agent, for a write that commits it together with the state it announces.</summary>
    public MessageDraft NoticeDraft(string recipient, SystemNotice notice, string? replyTo) =>
        new(NewMessageId(), AgentRegistry.SystemAgentId, recipient, JsonSerializer.Serialize(notice, SystemNoticeContext.Default.SystemNotice), Now, ReplyTo: replyTo);

    private async ValueTask<MeshMessage> FindMessageAsync(string? messageId, CancellationToken cancellationToken)
    {
        string? id = InputRules.OptionalReference(messageId, "message_id")
            ?? throw new MeshInputException("'message_id' is required: pass the message_id from send_message or get_inbox.");
        return await _store.GetMessageAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new MeshInputException($"There is no message '{id}'. Pass a message_id exactly as send_message or get_inbox returned it.");
    }

    /// <summary>
    /// Null when <paramref name="agentId"/> is a known agent (it registered, sent a heartbeat or has mail) or not a valid
    /// id (the send itself reports that); otherwise a sentence saying so, with the closest known agent id.
    /// </summary>
    public async ValueTask<string?> UnknownRecipientHintAsync(string? agentId, CancellationToken cancellationToken)
    {
        string agent;
        try
        {
            agent = InputRules.AgentId(agentId, "to_agent_id");
        }
        catch (MeshInputException)
        {
            return null;
        }

        if (AgentRegistry.IsSystemAgentId(agent) || _known.ContainsKey(agent))
        {
            return null;
        }

        if (await _directory.GetAgentAsync(agent, cancellationToken).ConfigureAwait(false) is not null
            || (await _store.ReadInboxAsync(agent, 0, 1, cancellationToken).ConfigureAwait(false)).Count > 0)
        {
            _known.TryAdd(agent, true);
            return null;
        }

        IReadOnlyList<AgentRow> agents = await _directory.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false);
        string? closest = ClosestAgent.Find(agent, agents.Select(a => a.Profile.AgentId).Where(id => !AgentRegistry.IsSystemAgentId(id)));
        string known = $"No agent '{agent}' is known: it never registered, sent a heartbeat or received a message.";
        return closest is null
            ? $"{known} Check the id with list_agents."
            : $"{known} Did you mean '{closest}'?";
    }

    private static string NotSystem(string agentId) => AgentRegistry.IsSystemAgentId(agentId)
        ? throw new MeshInputException($"'from_agent_id' cannot be \"{agentId}\": \"{AgentRegistry.SystemAgentId}\" in any letter case is reserved for Meshfleet's own notices. Use your own agent id.")
        : agentId;

    /// <summary>
    /// Reads an agent's inbox after <paramref name="since"/> (exclusive), oldest first, and records the messages as read.
    /// With <paramref name="waitSeconds"/>, an empty inbox waits (long poll) until the first message lands or the time is up.
    /// </summary>
    public async ValueTask<InboxPage> GetInboxAsync(string? agentId, long? since, long? limit, CancellationToken cancellationToken, long? waitSeconds = null)
    {
        InboxPage page = await PeekInboxAsync(agentId, since, limit, cancellationToken, waitSeconds).ConfigureAwait(false);
        await MarkReadAsync(page.Messages, cancellationToken).ConfigureAwait(false);
        return page;
    }

    /// <summary>Records that these messages were returned to their recipient (the first time counts); reading removes nothing.</summary>
    public ValueTask MarkReadAsync(IReadOnlyList<MeshMessage> messages, CancellationToken cancellationToken) =>
        _ledger.RecordReadAsync(messages, Now, cancellationToken);

    /// <summary>Reads like <see cref="GetInboxAsync"/> without recording a read: for scans that do not show the messages to the model.</summary>
    public async ValueTask<InboxPage> PeekInboxAsync(string? agentId, long? since, long? limit, CancellationToken cancellationToken, long? waitSeconds = null)
    {
        string agent = InputRules.AgentId(agentId, "agent_id");
        long cursor = InputRules.Cursor(since, "since");
        int pageSize = InputRules.Limit(limit);
        long wait = waitSeconds ?? 0;
        if (wait < 0 || wait > MaxWaitSeconds)
        {
            throw new MeshInputException($"'wait_seconds' is {wait}; it must be between 0 and {MaxWaitSeconds}. Call again after it returns to keep waiting.");
        }

        if (wait == 0)
        {
            return await ReadPageAsync(agent, cursor, pageSize, cancellationToken).ConfigureAwait(false);
        }

        using var deadline = new CancellationTokenSource(TimeSpan.FromSeconds(wait), _time);
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, deadline.Token);
        while (true)
        {
            // Register before reading, so a message committed between the read and the wait still wakes us.
            Task arrival = _hub.WaitForMessageAsync(agent, waiting.Token);
            InboxPage page = await ReadPageAsync(agent, cursor, pageSize, cancellationToken).ConfigureAwait(false);
            if (page.Messages.Count > 0 || deadline.IsCancellationRequested)
            {
                await StopWaitingAsync(waiting, arrival).ConfigureAwait(false);
                return page;
            }

            try
            {
                await arrival.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                return await ReadPageAsync(agent, cursor, pageSize, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>
    /// Withdraws a wait registered with the hub that is no longer needed. Left there, it would stay until the agent's next
    /// message and keep <see cref="StreamHub.HasWaiters"/> true, so a process that does not hold the port would keep
    /// polling the store for waiters that have gone.
    /// </summary>
    internal static async ValueTask StopWaitingAsync(CancellationTokenSource waiting, Task arrival)
    {
        await waiting.CancelAsync().ConfigureAwait(false);
        await arrival.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    private async ValueTask<InboxPage> ReadPageAsync(string agent, long cursor, int pageSize, CancellationToken cancellationToken)
    {
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
