using System.Globalization;
using System.Text;
using System.Text.Json.Nodes;
using System.Threading.Channels;
using Meshfleet.Configuration;
using Meshfleet.Core.Messaging;
using Meshfleet.Identity;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Meshfleet.Mcp;

/// <summary>
/// Wakes the bound agent's client session with each new message: a <c>notifications/claude/channel</c> notification,
/// which Claude Code turns into a model turn. Each message goes out once per session, in seq order; messages that
/// arrived while no session was bound (within the wake backlog, not yet read or notified) go out first.
/// </summary>
internal sealed partial class ClaudeChannel : BackgroundService
{
    /// <summary>The experimental capability a server declares to send channel notifications.</summary>
    public const string Capability = "claude/channel";

    /// <summary>The notification that carries a message into the session.</summary>
    public const string Method = "notifications/claude/channel";

    // Another process's send reaches this one through the store; a short poll keeps the wake well under a second without
    // a query every few milliseconds. Sends that this process publishes itself wake it at once.
    private static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(25);

    // Claude Code (2.1.328) registers its notifications/claude/channel handler only after the connection is up: after
    // notifications/initialized and its tools/list, in a later tick of its UI (seen 14-200 ms later, more on a loaded
    // machine), and it sends nothing to the server afterwards that would mark the moment. A notification that arrives
    // before the handler exists is dropped without a trace by its MCP client, so the first one waits this long after the
    // handshake; messages that arrive meanwhile are held, not lost, and go out in seq order when it ends.
    internal static readonly TimeSpan HandlerGrace = TimeSpan.FromSeconds(2);
    private const int Page = 100;
    private readonly MeshfleetSettings _settings;
    private readonly SessionBinding _binding;
    private readonly Mesh _mesh;
    private readonly AgentIdentity _identity;
    private readonly ILogger<ClaudeChannel> _logger;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1) { FullMode = BoundedChannelFullMode.DropWrite });

    public ClaudeChannel(MeshfleetSettings settings, SessionBinding binding, Mesh mesh, AgentIdentity identity, ILogger<ClaudeChannel> logger)
    {
        _identity = identity;
        _settings = settings;
        _binding = binding;
        _mesh = mesh;
        _logger = logger;
    }

    /// <summary>The text a model reads for one message: who sent it, its ids and thread, the payload, and how to answer.</summary>
    public static string Describe(MeshMessage message)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"Meshfleet message from '{message.FromAgentId}' to you ('{message.ToAgentId}'), message_id {message.MessageId}, seq {message.Seq}");
        if (message.ThreadId is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", thread {message.ThreadId}");
        }

        if (message.ReplyTo is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", in reply to {message.ReplyTo}");
        }

        text.Append(":\n").Append(message.Payload).Append('\n');
        text.Append(message.FromAgentId == Core.Agents.AgentRegistry.SystemAgentId
            ? "(A notice from Meshfleet itself; nobody to reply to.)"
            : $"(Answer with the reply tool: {{\"message_id\":\"{message.MessageId}\",\"payload\":\"...\"}}.)");
        return text.ToString();
    }

    /// <summary>The notification's params: <c>content</c> for the model, <c>meta</c> attributes (keys: letters, digits, _).</summary>
    public static JsonObject Notification(MeshMessage message)
    {
        var meta = new JsonObject
        {
            ["from_agent_id"] = message.FromAgentId,
            ["to_agent_id"] = message.ToAgentId,
            ["message_id"] = message.MessageId,
            ["seq"] = message.Seq.ToString(CultureInfo.InvariantCulture),
            ["timestamp"] = message.Timestamp.ToString(CultureInfo.InvariantCulture),
        };
        if (message.ThreadId is not null)
        {
            meta["thread_id"] = message.ThreadId;
        }

        if (message.ReplyTo is not null)
        {
            meta["reply_to"] = message.ReplyTo;
        }

        return new JsonObject { ["content"] = Describe(message), ["meta"] = meta };
    }

    protected override async Task ExecuteAsync(CancellationToken stoppingToken)
    {
        string agent = _settings.AgentId!;
        McpServer session;
        try
        {
            session = await _binding.WaitAsync(stoppingToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        _mesh.Hub.Published += OnPublished;
        try
        {
            // The cursor is taken at the handshake, so a message sent during the grace is delivered after it as a new one.
            long cursor = await _mesh.Store.ReadHeadSeqAsync(stoppingToken).ConfigureAwait(false);
            if (!await ProvenAsync(agent, stoppingToken).ConfigureAwait(false))
            {
                // Tool calls say how to fix it; the session is not woken with mail it may not read.
                LogNotProven(_logger, agent);
                return;
            }

            await Task.Delay(HandlerGrace, _mesh.Time, stoppingToken).ConfigureAwait(false);
            LogBound(_logger, agent, cursor);
            await DeliverBacklogAsync(session, agent, cursor, stoppingToken).ConfigureAwait(false);
            while (!stoppingToken.IsCancellationRequested)
            {
                cursor = await DeliverNewAsync(session, agent, cursor, stoppingToken).ConfigureAwait(false);
            }
        }
        catch (OperationCanceledException) when (stoppingToken.IsCancellationRequested)
        {
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
        {
            // The client went away (its stdin closed mid-send): nothing is lost, the messages stay in the inbox and
            // the next session is woken with those it was not told about.
            LogSessionEnded(_logger, agent, ex.Message);
        }
        finally
        {
            _mesh.Hub.Published -= OnPublished;
        }
    }

    private void OnPublished(MeshMessage message)
    {
        if (message.ToAgentId == _settings.AgentId)
        {
            _wake.Writer.TryWrite(true);
        }
    }

    private async Task DeliverBacklogAsync(McpServer session, string agent, long head, CancellationToken cancellationToken)
    {
        if (_settings.WakeBacklog <= TimeSpan.Zero)
        {
            return;
        }

        long from = _mesh.Time.GetUtcNow().Subtract(_settings.WakeBacklog).ToUnixTimeMilliseconds();
        IReadOnlyList<MeshMessage> unseen = await _mesh.Ledger.ListUnseenAsync(agent, from, head, _settings.WakeBacklogLimit, cancellationToken).ConfigureAwait(false);
        foreach (MeshMessage message in unseen)
        {
            await NotifyAsync(session, message, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task<long> DeliverNewAsync(McpServer session, string agent, long cursor, CancellationToken cancellationToken)
    {
        IReadOnlyList<MeshMessage> batch;
        try
        {
            batch = await _mesh.Store.ReadInboxAsync(agent, cursor, Page, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogReadFailed(_logger, ex);
            batch = [];
        }

        if (batch.Count > 0 && !await ProvenAsync(agent, cancellationToken).ConfigureAwait(false))
        {
            // The key was rotated or revoked while the session ran: it hears of no more mail.
            LogNotProven(_logger, agent);
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false);
        }

        foreach (MeshMessage message in batch)
        {
            await NotifyAsync(session, message, cancellationToken).ConfigureAwait(false);
            cursor = message.Seq;
        }

        if (batch.Count < Page)
        {
            await WaitForWakeAsync(cancellationToken).ConfigureAwait(false);
        }

        return cursor;
    }

    private async Task<bool> ProvenAsync(string agent, CancellationToken cancellationToken) =>
        !_identity.Enabled || await _identity.CallerAsync(null, cancellationToken).ConfigureAwait(false) == agent;

    private async Task NotifyAsync(McpServer session, MeshMessage message, CancellationToken cancellationToken)
    {
        await session.SendMessageAsync(new JsonRpcNotification { Method = Method, Params = Notification(message) }, cancellationToken).ConfigureAwait(false);
        try
        {
            await _mesh.Ledger.RecordNotifiedAsync(message, _mesh.Time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            // The session has the message; only its status line misses "notified".
            LogRecordFailed(_logger, ex);
        }
    }

    private async Task WaitForWakeAsync(CancellationToken cancellationToken)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return;
        }

        using var poll = new CancellationTokenSource(Poll, _mesh.Time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, poll.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll elapsed: look at the store for sends from other processes.
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Session bound to agent {AgentId}: its new messages (after seq {Cursor}, plus unseen backlog) wake the client through claude/channel")]
    private static partial void LogBound(ILogger logger, string agentId, long cursor);

    [LoggerMessage(Level = LogLevel.Information, Message = "Session of agent {AgentId} ended; no more channel notifications ({Reason})")]
    private static partial void LogSessionEnded(ILogger logger, string agentId, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Reading the bound agent's inbox failed; retrying")]
    private static partial void LogReadFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Recording a session notification failed; the message was delivered")]
    private static partial void LogRecordFailed(ILogger logger, Exception exception);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not waking the session with {AgentId}'s messages: agent identity is on and MESHFLEET_AGENT_KEY is not that agent's current key")]
    private static partial void LogNotProven(ILogger logger, string agentId);
}
