using System.Buffers;
using System.Globalization;
using System.Text.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Identity;
using Meshfleet.Json;
using Meshfleet.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Primitives;

namespace Meshfleet.Http;

/// <summary>
/// The plain HTTP API beside /mcp, for senders that are not agents (CI jobs, webhooks, scripts, curl):
/// <c>POST /inbox/{agent_id}/messages</c> is <c>send_message</c> and <c>GET /inbox/{agent_id}/messages</c> is
/// <c>get_inbox</c>, with their argument names, result shapes, validation, limits and agent identity; errors are
/// <c>{error, detail}</c> with a status code instead of a tool error. docs/api.md documents it.
/// </summary>
internal static partial class InboxApiEndpoints
{
    public const string SendRoute = "POST /inbox/{agent_id}/messages";
    public const string ReadRoute = "GET /inbox/{agent_id}/messages";

    // send_message's arguments, less the recipient (the path names it) and fleet routing (a tool-only feature).
    private static readonly string[] SendFields = ["from_agent_id", "payload", "thread_id", "reply_to", "idempotency_key", "requires_ack"];
    private static readonly string[] ReadFields = ["since", "limit", "wait_seconds"];

    public static void MapInboxApi(this IEndpointRouteBuilder routes)
    {
        routes.MapPost("/inbox/{agent_id}/messages", SendAsync);
        routes.MapGet("/inbox/{agent_id}/messages", ReadAsync);
    }

    private static async Task SendAsync(HttpContext context, string agent_id, Mesh mesh, MeshfleetSettings settings, AgentIdentity identity)
    {
        if (!context.Request.HasJsonContentType())
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status415UnsupportedMediaType, "unsupported_media_type",
                $"The body must be JSON with 'Content-Type: application/json' (got '{context.Request.ContentType ?? "none"}'). " +
                "With curl: --json '{\"from_agent_id\":\"ci\",\"payload\":\"build 12 passed\"}'.");
            return;
        }

        using MemoryStream? body = await CappedBody.ReadAsync(context, settings.MaxRequestBytes);
        if (body is null)
        {
            return;
        }

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(body.GetBuffer().AsMemory(0, (int)body.Length));
        }
        catch (JsonException ex)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_json",
                (body.Length == 0 ? "The body is empty." : $"The body is not valid JSON ({ex.Message.Split('.')[0]}, line {ex.LineNumber + 1}, byte {ex.BytePositionInLine + 1}).") +
                " Send one JSON object such as {\"from_agent_id\":\"ci\",\"payload\":\"build 12 passed\"}.");
            return;
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_json",
                    $"The body is a JSON {document.RootElement.ValueKind.ToString().ToLowerInvariant()}; it must be one object such as {{\"from_agent_id\":\"ci\",\"payload\":\"build 12 passed\"}}.");
                return;
            }

            await SendDocumentAsync(context, agent_id, document.RootElement, mesh, settings, identity);
        }
    }

    private static async Task SendDocumentAsync(HttpContext context, string agent_id, JsonElement root, Mesh mesh, MeshfleetSettings settings, AgentIdentity identity)
    {
        CancellationToken cancellationToken = context.RequestAborted;
        try
        {
            string to = InputRules.AgentId(agent_id, "agent_id (in the path)");
            var fields = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
            foreach (JsonProperty property in root.EnumerateObject())
            {
                if (property.Name is "to_agent_id" or "fleet_id")
                {
                    throw new MeshInputException($"'{property.Name}' does not go in the body: the recipient is the agent in the path, POST /inbox/<to_agent_id>/messages. Leave it out.");
                }

                fields[property.Name] = property.Value;
            }

            string? caller = identity.Enabled ? await identity.CallerAsync(context.User, cancellationToken) : null;
            ToolArguments args = ToolArguments.For(SendRoute, fields, SendFields, caller ?? settings.AgentId);
            string? from = args.String("from_agent_id");
            string? payload = args.String("payload");
            string? threadId = args.String("thread_id");
            string? replyTo = args.String("reply_to");
            string? idempotencyKey = args.String("idempotency_key");
            bool requiresAck = args.Boolean("requires_ack") ?? false;
            if (!await AuthorizedAsync(context, identity, caller, from, "from_agent_id") || !await PayloadFitsAsync(context, payload, mesh.Limits))
            {
                return;
            }

            string? unknown = await mesh.UnknownRecipientHintAsync(to, cancellationToken);
            AppendResult result = await mesh.SendAsync(from, to, payload, threadId, replyTo, idempotencyKey, cancellationToken, requiresAck);
            MeshMessage message = result.Message;
            string? warning = unknown is null ? null : $"{unknown} The message is stored and waits in that inbox.";

            // Where to read it back: since is exclusive, so the page after seq-1 starts with this message.
            context.Response.Headers.Location = string.Create(CultureInfo.InvariantCulture, $"/inbox/{to}/messages?since={message.Seq - 1}&limit=1");
            context.Response.StatusCode = result.Duplicate ? StatusCodes.Status200OK : StatusCodes.Status201Created;
            await context.Response.WriteAsJsonAsync(new SendReceipt(message.MessageId, message.Seq, message.Timestamp, warning), MeshfleetJsonContext.Plain.SendReceipt, cancellationToken: cancellationToken);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !cancellationToken.IsCancellationRequested)
        {
            await FailAsync(context, SendRoute, ex);
        }
    }

    private static async Task ReadAsync(HttpContext context, string agent_id, Mesh mesh, MeshfleetSettings settings, IHostApplicationLifetime lifetime)
    {
        // The caller was checked before this runs: with agent identity on, BearerTokenMiddleware lets only the agent of
        // the path (its key or its stream capability) read an inbox, as get_inbox does.
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        try
        {
            string agent = InputRules.AgentId(agent_id, "agent_id (in the path)");
            ToolArguments args = ToolArguments.For(ReadRoute, QueryFields(context.Request.Query), ReadFields);
            long? since = args.Integer("since");
            long? limit = args.Integer("limit");
            long? requested = args.Integer("wait_seconds");
            long maxWait = (long)settings.MaxWait.TotalSeconds;
            long? wait = requested > maxWait ? maxWait : requested;
            InboxPage page = await mesh.GetInboxAsync(agent, since, limit, stop.Token, wait);
            if (page.Messages.Count == 0)
            {
                page = page with { Note = await EmptyInboxNoteAsync(mesh, agent, page.NextSince, wait ?? 0, requested > maxWait, maxWait, stop.Token) };
            }

            context.Response.Headers.CacheControl = "no-store";
            await context.Response.WriteAsJsonAsync(page, MeshfleetJsonContext.Plain.InboxPage, cancellationToken: stop.Token);
        }
        catch (Exception ex) when (ex is not OperationCanceledException || !stop.IsCancellationRequested)
        {
            await FailAsync(context, ReadRoute, ex);
        }
    }

    /// <summary>With agent identity on, refuses (403) a caller acting as an agent it did not prove to be, as the tools do.</summary>
    private static async ValueTask<bool> AuthorizedAsync(HttpContext context, AgentIdentity identity, string? caller, string? agentId, string argument)
    {
        try
        {
            identity.Require(caller, agentId, argument);
            return true;
        }
        catch (MeshInputException ex)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "not_this_agent", ex.Message);
            return false;
        }
    }

    /// <summary>
    /// The payload rule of every transport, answered with 413 when the text is too long: <see cref="InputRules.Payload"/>
    /// refuses only a missing, an empty or an oversized payload.
    /// </summary>
    private static async ValueTask<bool> PayloadFitsAsync(HttpContext context, string? payload, MeshLimits limits)
    {
        try
        {
            InputRules.Payload(payload, limits);
            return true;
        }
        catch (MeshInputException ex) when (!string.IsNullOrEmpty(payload))
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "payload_too_large", ex.Message);
            return false;
        }
    }

    /// <summary>The query string as tool arguments (every value a JSON string), so it is checked as get_inbox checks them.</summary>
    private static Dictionary<string, JsonElement> QueryFields(IQueryCollection query)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            foreach ((string name, StringValues values) in query)
            {
                if (name == StreamCapability.QueryName)
                {
                    continue;
                }

                if (values.Count != 1)
                {
                    throw new MeshInputException($"'{name}' is given {values.Count} times in the query; give it once.");
                }

                writer.WriteString(name, values[0]);
            }

            writer.WriteEndObject();
        }

        return JsonElement.Parse(buffer.WrittenSpan).EnumerateObject().ToDictionary(p => p.Name, p => p.Value, StringComparer.Ordinal);
    }

    private static async Task<string> EmptyInboxNoteAsync(Mesh mesh, string agent, long since, long waited, bool capped, long maxWait, CancellationToken cancellationToken)
    {
        if (await mesh.UnknownRecipientHintAsync(agent, cancellationToken) is { } unknown)
        {
            return unknown;
        }

        string again = $"GET /inbox/{agent}/messages?since={since}&wait_seconds={maxWait}";
        return capped
            ? $"No new messages after seq {since} in {waited} s (one request waits at most {maxWait} s). To keep waiting: {again}."
            : waited > 0
                ? $"No new messages after seq {since} in {waited} s. To keep waiting: {again}."
                : $"No new messages after seq {since}. To wait for the next one: {again}.";
    }

    private static Task FailAsync(HttpContext context, string route, Exception exception)
    {
        switch (exception)
        {
            case MeshInputException:
                return HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_request", exception.Message);
            case StoreFailureException:
                LogStoreFailed(Logger(context), route, exception.Message);
                return HttpErrors.WriteAsync(context, StatusCodes.Status503ServiceUnavailable, "store_unavailable", exception.Message);
            default:
                LogFailed(Logger(context), route, exception);
                return HttpErrors.WriteAsync(context, StatusCodes.Status500InternalServerError, "internal_error",
                    $"{route} failed inside Meshfleet ({exception.GetType().Name}); nothing stored was lost. Try again; if it keeps failing, the server's stderr log has the details.");
        }
    }

    private static ILogger Logger(HttpContext context) =>
        context.RequestServices.GetRequiredService<ILoggerFactory>().CreateLogger("Meshfleet.Http.Api");

    [LoggerMessage(Level = LogLevel.Error, Message = "{Route} failed: {Reason}")]
    private static partial void LogStoreFailed(ILogger logger, string route, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "{Route} failed")]
    private static partial void LogFailed(ILogger logger, string route, Exception exception);
}
