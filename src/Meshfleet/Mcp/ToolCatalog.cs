using System.Security.Claims;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Meshfleet.Hosting;
using Meshfleet.Http;
using Meshfleet.Identity;
using Meshfleet.Json;
using Microsoft.Extensions.Logging;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Meshfleet.Mcp;

/// <summary>
/// The mesh's MCP tools, shared by the stdio and HTTP transports: definitions for tools/list and dispatch for tools/call.
/// </summary>
internal sealed partial class ToolCatalog
{
    /// <summary>The paragraph an unbound server sends as <c>instructions</c> at initialize.</summary>
    public const string UnboundInstructions =
        "Meshfleet connects AI agents through durable inboxes. Pick a stable agent id (letters, digits, . _ -) and use it " +
        "as from_agent_id / agent_id; register_agent says who you are and which fleet you belong to. send_message stores a " +
        "message for another agent; get_inbox reads yours oldest first (pass the previous next_since as since, so you never " +
        "miss or repeat a message). To wait for mail in real time, call get_inbox with wait_seconds (your client does not " +
        "wake you on notifications); to ask and wait for the answer in one call, use ask, and answer questions with reply. " +
        "subscribe_inbox returns an SSE URL for clients that can hold an HTTP stream open. Messages from 'meshfleet' are system notices.";

    private readonly Mesh _mesh;
    private readonly AgentRegistry _registry;
    private readonly Questions _questions;
    private readonly AgentRouter _router;
    private readonly PortHolderLocator _locator;
    private readonly MeshfleetSettings _settings;
    private readonly ILogger<ToolCatalog> _logger;
    private readonly Dictionary<string, MeshTool> _tools;
    private readonly AgentIdentity _identity;

    public ToolCatalog(Mesh mesh, AgentRegistry registry, Questions questions, AgentRouter router, PortHolderLocator locator, MeshfleetSettings settings, AgentIdentity identity, ILogger<ToolCatalog> logger)
    {
        _mesh = mesh;
        _registry = registry;
        _questions = questions;
        _router = router;
        _locator = locator;
        _settings = settings;
        _logger = logger;
        _identity = identity;
        // tools/list lists the tools in this order, on every revision (part of the API freeze; a new tool goes last).
        MeshTool[] ordered =
        [
            SendMessage(), GetInbox(), SubscribeInbox(), Ask(), Reply(), AckMessage(), GetMessageStatus(),
            RegisterAgent(), Heartbeat(), ListAgents(), FindAgents(), CreateFleet(), ListFleets(), Broadcast(),
        ];
        _tools = ordered.ToDictionary(t => t.Definition.Name, StringComparer.Ordinal);
        Definitions = ordered.Select(t => settings.AgentId is { } bound ? BindDefinition(t.Definition, bound) : t.Definition).ToList();
        Instructions = InstructionsFor(settings.AgentId);
    }

    /// <summary>Who callers are (agent identity), shared with the HTTP layer that reads their keys.</summary>
    public AgentIdentity Identity => _identity;

    /// <summary>What tools/list returns.</summary>
    public IList<Tool> Definitions { get; }

    /// <summary>The paragraph the server sends as <c>instructions</c> at initialize.</summary>
    public string Instructions { get; }

    /// <summary>The instructions of a process bound to <paramref name="agentId"/> (or unbound, when null).</summary>
    public static string InstructionsFor(string? agentId) => agentId is null
        ? UnboundInstructions
        : $"You are agent '{agentId}' on Meshfleet, which connects AI agents through durable inboxes: this server is bound to you, so every " +
          $"tool fills agent_id / from_agent_id with '{agentId}' when you omit them (pass them only to act as someone else). " +
          "send_message stores a message for another agent; reply answers one; ask sends a question and waits for its answer. " +
          "New messages to you arrive in this session by themselves where your client supports it (in Claude Code as a " +
          "<channel source=\"meshfleet\"> turn naming the sender and message_id); otherwise read them with get_inbox " +
          "(pass the previous next_since as since; wait_seconds waits for the next one). Messages from 'meshfleet' are system notices.";

    /// <summary>Runs a tools/call with its request context (for progress notifications during long waits).</summary>
    public ValueTask<CallToolResult> CallAsync(RequestContext<CallToolRequestParams> request, CancellationToken cancellationToken) =>
        CallAsync(request.Params, cancellationToken, WaitProgress.For(request), request.User);

    /// <summary>
    /// Runs a tools/call. Bad input becomes a tool error (isError) with a message that says how to fix it. <paramref name="user"/>
    /// is the HTTP caller (null over stdio, where the process's own binding and key say who the caller is).
    /// </summary>
    public async ValueTask<CallToolResult> CallAsync(CallToolRequestParams? request, CancellationToken cancellationToken, WaitProgress? progress = null, ClaimsPrincipal? user = null)
    {
        string name = request?.Name ?? string.Empty;
        if (!_tools.TryGetValue(name, out MeshTool? tool))
        {
            throw new McpProtocolException(
                $"Unknown tool '{name}'. Meshfleet's tools are: {string.Join(", ", _tools.Keys)}. Call tools/list for their arguments.",
                McpErrorCode.InvalidParams);
        }

        try
        {
            string? caller = _identity.Enabled ? await _identity.CallerAsync(user, cancellationToken).ConfigureAwait(false) : null;
            ToolArguments arguments = ToolArguments.For(name, request!.Arguments, tool.Arguments, caller ?? _settings.AgentId);
            arguments.Progress = progress;
            arguments.Caller = caller;
            await AuthorizeAsync(name, arguments, caller, cancellationToken).ConfigureAwait(false);
            return await tool.Invoke(arguments, cancellationToken).ConfigureAwait(false);
        }
        catch (MeshInputException ex)
        {
            return Failure(ex.Message);
        }
        catch (StreamUnavailableException ex)
        {
            return Failure(ex.Message);
        }
        catch (AskFailedException ex)
        {
            return Failure(ex.Message);
        }
        catch (StoreFailureException ex)
        {
            LogStoreFailed(_logger, name, ex.Message);
            return Failure(ex.Message);
        }
        catch (RoutingUnavailableException ex)
        {
            return Failure(ex.Message);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            throw;
        }
        catch (Exception ex)
        {
            LogToolFailed(_logger, name, ex);
            return Failure($"{name} failed inside Meshfleet ({ex.GetType().Name}); nothing stored was lost. Try again; if it keeps failing, the server's stderr log has the details.");
        }
    }

    private MeshTool SendMessage() => new(
        new Tool
        {
            Name = "send_message",
            Description =
                "Send a message to another agent's inbox. It is stored durably before this returns, then pushed live to the " +
                "recipient's open streams. To answer a message prefer reply; to wait for the answer use ask. fleet_id instead of " +
                "to_agent_id: the fleet's best online agent for the payload gets it. " +
                "Example: {\"from_agent_id\":\"orchestrator\",\"to_agent_id\":\"reviewer\",\"payload\":\"Review PR 12\"}",
            InputSchema = ToolSchemas.SendMessageInput,
            OutputSchema = ToolSchemas.SendMessageOutput,
            Annotations = new ToolAnnotations { Title = "Send a message", ReadOnlyHint = false, DestructiveHint = false, IdempotentHint = false, OpenWorldHint = false },
        },
        ["from_agent_id", "to_agent_id", "payload", "thread_id", "reply_to", "idempotency_key", "requires_ack", "fleet_id"],
        async (args, ct) =>
        {
            if (args.String("fleet_id") is not null)
            {
                return await SendRoutedAsync(args, ct).ConfigureAwait(false);
            }

            string? unknown = await _mesh.UnknownRecipientHintAsync(args.String("to_agent_id"), ct).ConfigureAwait(false);
            AppendResult result = await _mesh.SendAsync(
                args.String("from_agent_id"),
                args.String("to_agent_id"),
                args.String("payload"),
                args.String("thread_id"),
                args.String("reply_to"),
                args.String("idempotency_key"),
                ct,
                args.Boolean("requires_ack") ?? false).ConfigureAwait(false);
            MeshMessage message = result.Message;
            string? warning = unknown is null ? null : $"{unknown} The message is stored and waits in that inbox.";
            return Success(new SendReceipt(message.MessageId, message.Seq, message.Timestamp, warning), MeshfleetJsonContext.Default.SendReceipt);
        });

    private MeshTool GetInbox() => new(
        new Tool
        {
            Name = "get_inbox",
            Description =
                "Read your inbox, oldest first. Pass since = next_since from your previous call to get only newer messages " +
                "(exclusive; omit it to start from the beginning). wait_seconds makes it wait for the first new message: the way " +
                "to wait in real time, since your client does not wake you on notifications. Example: {\"agent_id\":\"reviewer\",\"since\":42,\"wait_seconds\":50}",
            InputSchema = ToolSchemas.GetInboxInput,
            OutputSchema = ToolSchemas.GetInboxOutput,
            Annotations = new ToolAnnotations { Title = "Read inbox", ReadOnlyHint = true, DestructiveHint = false, IdempotentHint = true, OpenWorldHint = false },
        },
        ["agent_id", "since", "limit", "wait_seconds"],
        async (args, ct) =>
        {
            string? agent = args.String("agent_id");
            long? requested = args.Integer("wait_seconds");
            long maxWait = (long)_settings.MaxWait.TotalSeconds;
            long? wait = requested > maxWait ? maxWait : requested;
            Func<CancellationToken, Task<InboxPage>> read = c => _mesh.GetInboxAsync(agent, args.Integer("since"), args.Integer("limit"), c, wait).AsTask();
            InboxPage page = wait > 0 && args.Progress is { } progress
                ? await progress.WhileAsync(read, TimeSpan.FromSeconds(wait.Value), "waiting for mail", _mesh.Time, ct).ConfigureAwait(false)
                : await read(ct).ConfigureAwait(false);
            if (page.Messages.Count == 0)
            {
                page = page with { Note = await EmptyInboxNoteAsync(agent!, page.NextSince, wait ?? 0, requested > maxWait, ct).ConfigureAwait(false) };
            }

            return Success(page, MeshfleetJsonContext.Default.InboxPage);
        });

    private async Task<string> EmptyInboxNoteAsync(string agent, long since, long waited, bool capped, CancellationToken cancellationToken)
    {
        if (await _mesh.UnknownRecipientHintAsync(agent, cancellationToken).ConfigureAwait(false) is { } unknown)
        {
            return unknown;
        }

        long maxWait = (long)_settings.MaxWait.TotalSeconds;
        string again = $"get_inbox {{\"agent_id\":\"{agent}\",\"since\":{since},\"wait_seconds\":{maxWait}}}";
        return capped
            ? $"No new messages after seq {since} in {waited} s (one call waits at most {maxWait} s). To keep waiting, call {again}."
            : waited > 0
                ? $"No new messages after seq {since} in {waited} s. To keep waiting, call {again}."
                : $"No new messages after seq {since}. To wait for the next one, call {again}.";
    }

    private MeshTool SubscribeInbox() => new(
        new Tool
        {
            Name = "subscribe_inbox",
            Description =
                "Get an SSE URL that pushes your inbox live: open it with HTTP GET; each message is an 'event: message' whose id is its seq. " +
                "Reconnect with header Last-Event-ID (or ?since=seq) to resume without gaps. No HTTP streaming in your client? Poll get_inbox. " +
                "Example: {\"agent_id\":\"reviewer\"}",
            InputSchema = ToolSchemas.SubscribeInboxInput,
            OutputSchema = ToolSchemas.SubscribeInboxOutput,
            Annotations = new ToolAnnotations { Title = "Stream inbox (SSE)", ReadOnlyHint = true, DestructiveHint = false, IdempotentHint = true, OpenWorldHint = false },
        },
        ["agent_id"],
        async (args, ct) =>
        {
            string agent = InputRules.AgentId(args.String("agent_id"), "agent_id");
            string baseUrl = await _locator.ResolveStreamBaseAsync(ct).ConfigureAwait(false);
            string? capability = await _identity.IssueCapabilityAsync(agent, ct).ConfigureAwait(false);
            var ticket = new StreamTicket(
                StreamUrl: capability is null
                    ? $"{baseUrl}/inbox/{agent}/stream"
                    : $"{baseUrl}/inbox/{agent}/stream?{StreamCapability.QueryName}={capability}",
                AgentId: agent,
                Event: "message",
                ResumeWith: "Last-Event-ID header or ?since=<seq>",
                HeartbeatSeconds: (int)_settings.Heartbeat.TotalSeconds);
            return Success(ticket, MeshfleetJsonContext.Default.StreamTicket);
        });

    /// <summary>With agent identity on, refuses a caller acting as an agent it did not prove to be (register_agent checks itself).</summary>
    private async ValueTask AuthorizeAsync(string tool, ToolArguments args, string? caller, CancellationToken cancellationToken)
    {
        if (!_identity.Enabled)
        {
            return;
        }

        switch (tool)
        {
            case "send_message" or "ask" or "reply" or "broadcast":
                _identity.Require(caller, args.String("from_agent_id"), "from_agent_id");
                break;
            case "get_inbox" or "subscribe_inbox" or "ack_message" or "heartbeat":
                _identity.Require(caller, args.String("agent_id"), "agent_id");
                break;
            case "get_message_status" when args.String("message_id") is { } id && await _mesh.Store.GetMessageAsync(id, cancellationToken).ConfigureAwait(false) is { } message:
                _identity.RequireParty(caller, message.FromAgentId, message.ToAgentId);

                break;
        }
    }

    private static Tool BindDefinition(Tool tool, string agentId) => new()
    {
        Name = tool.Name,
        Description = tool.Description,
        InputSchema = ToolSchemas.Bind(tool.InputSchema, agentId),
        OutputSchema = tool.OutputSchema,
        Annotations = tool.Annotations,
    };

    private static Tool Define(string name, string title, string description, JsonElement input, JsonElement output, bool readOnly, bool idempotent) => new()
    {
        Name = name,
        Description = description,
        InputSchema = input,
        OutputSchema = output,
        Annotations = new ToolAnnotations { Title = title, ReadOnlyHint = readOnly, DestructiveHint = false, IdempotentHint = idempotent, OpenWorldHint = false },
    };

    private static CallToolResult Success<T>(T value, JsonTypeInfo<T> type)
    {
        // Serialized with the plain encoder: the text a model reads keeps 日本語 and <>&' as they are.
        var plain = (JsonTypeInfo<T>)MeshfleetJsonContext.Plain.GetTypeInfo(type.Type)!;
        JsonElement structured = JsonSerializer.SerializeToElement(value, plain);
        return new CallToolResult
        {
            StructuredContent = structured,
            Content = [new TextContentBlock { Text = structured.GetRawText() }],
        };
    }

    private static CallToolResult Failure(string message) => new()
    {
        IsError = true,
        Content = [new TextContentBlock { Text = message }],
    };

    [LoggerMessage(Level = LogLevel.Error, Message = "Tool {Tool} failed: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string tool, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Tool {Tool} failed")]
    private static partial void LogToolFailed(ILogger logger, string tool, Exception exception);
}
