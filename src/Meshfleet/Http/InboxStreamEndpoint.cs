using System.Buffers;
using System.Globalization;
using System.IO.Pipelines;
using System.Text;
using System.Text.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Meshfleet.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Http;

/// <summary>
/// <c>GET /inbox/{agent_id}/stream</c>: Server-Sent Events of an agent's inbox. Replays after Last-Event-ID (or ?since=),
/// then streams live; one event per message, <c>id</c> = seq.
/// </summary>
internal static partial class InboxStreamEndpoint
{
    private static readonly byte[] Preamble = Encoding.UTF8.GetBytes("retry: 2000\n\n");
    private static readonly byte[] Heartbeat = Encoding.UTF8.GetBytes(": heartbeat\n\n");
    private static readonly byte[] EventPrefix = Encoding.UTF8.GetBytes("\nevent: message\ndata: ");
    private static readonly byte[] EventSuffix = Encoding.UTF8.GetBytes("\n\n");

    public static async Task HandleAsync(
        HttpContext context,
        string agent_id,
        Mesh mesh,
        MeshfleetSettings settings,
        IHostApplicationLifetime lifetime,
        ILoggerFactory loggers)
    {
        string agentId;
        long cursor;
        try
        {
            agentId = InputRules.AgentId(agent_id, "agent_id");
            cursor = ReadCursor(context.Request);
        }
        catch (MeshInputException ex)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status400BadRequest, "invalid_request", ex.Message);
            return;
        }

        using InboxStream? stream = mesh.OpenStream(agentId, cursor);
        if (stream is null)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status429TooManyRequests, "too_many_streams",
                $"Agent '{agentId}' already holds {settings.MaxStreamsPerAgent} streams (MESHFLEET_MAX_STREAMS_PER_AGENT). Close one, or poll get_inbox.");
            return;
        }

        ILogger logger = loggers.CreateLogger("Meshfleet.Streams");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, lifetime.ApplicationStopping);
        HttpResponse response = context.Response;
        response.ContentType = "text/event-stream";
        response.Headers.CacheControl = "no-cache";
        response.Headers["X-Accel-Buffering"] = "no";
        var writeLock = new SemaphoreSlim(1, 1);
        LogStreamOpened(logger, agentId, cursor);
        try
        {
            await WriteLockedAsync(response, writeLock, Preamble, stop.Token);
            Task heartbeats = SendHeartbeatsAsync(response, writeLock, settings.Heartbeat, stop);
            try
            {
                await foreach (InboxEvent item in stream.ReadAsync(stop.Token))
                {
                    await WriteEventAsync(response, writeLock, item, stop.Token);
                }

                if (stream.DropReason is { } reason && !stop.IsCancellationRequested)
                {
                    byte[] note = Encoding.UTF8.GetBytes($": dropped ({reason}); reconnect with Last-Event-ID: {stream.LastSeq}\n\n");
                    await WriteLockedAsync(response, writeLock, note, stop.Token);
                    LogStreamDropped(logger, agentId, reason);
                }
            }
            finally
            {
                await stop.CancelAsync();
                await heartbeats;
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The client went away or the server is stopping: the stream ends, the client resumes from its last id.
        }

        LogStreamClosed(logger, agentId, stream.LastSeq);
    }

    private static long ReadCursor(HttpRequest request)
    {
        string? raw = request.Headers["Last-Event-ID"].FirstOrDefault();
        string source = "Last-Event-ID";
        if (string.IsNullOrEmpty(raw))
        {
            raw = request.Query["since"].FirstOrDefault();
            source = "since";
        }

        if (string.IsNullOrEmpty(raw))
        {
            return 0;
        }

        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long cursor))
        {
            throw new MeshInputException($"{source} is '{(raw.Length > 40 ? raw[..40] : raw)}'; it must be a seq (a whole number of 0 or more) from an earlier event id.");
        }

        return cursor;
    }

    private static async Task SendHeartbeatsAsync(HttpResponse response, SemaphoreSlim writeLock, TimeSpan interval, CancellationTokenSource stop)
    {
        using var timer = new PeriodicTimer(interval);
        try
        {
            while (await timer.WaitForNextTickAsync(stop.Token))
            {
                await WriteLockedAsync(response, writeLock, Heartbeat, stop.Token);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // A failed write ends the whole stream.
            await stop.CancelAsync();
        }
    }

    private static async Task WriteEventAsync(HttpResponse response, SemaphoreSlim writeLock, InboxEvent item, CancellationToken cancellationToken)
    {
        byte[] data = JsonSerializer.SerializeToUtf8Bytes(item.Message, MeshfleetJsonContext.Plain.MeshMessage);
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            FormatEvent(response.BodyWriter, item.Redelivery ? null : item.Message.Seq, data);
            await response.BodyWriter.FlushAsync(cancellationToken);
        }
        finally
        {
            writeLock.Release();
        }
    }

    /// <summary>
    /// Writes one event. A redelivery carries no <c>id:</c>, so it cannot move the client's Last-Event-ID backwards.
    /// </summary>
    private static void FormatEvent(PipeWriter writer, long? seq, byte[] data)
    {
        if (seq is { } value)
        {
            Span<byte> id = stackalloc byte[24];
            "id: "u8.CopyTo(id);
            value.TryFormat(id[4..], out int written, provider: CultureInfo.InvariantCulture);
            writer.Write(id[..(4 + written)]);
            writer.Write(EventPrefix);
        }
        else
        {
            writer.Write(EventPrefix.AsSpan(1));
        }

        writer.Write(data);
        writer.Write(EventSuffix);
    }

    private static async Task WriteLockedAsync(HttpResponse response, SemaphoreSlim writeLock, byte[] bytes, CancellationToken cancellationToken)
    {
        await writeLock.WaitAsync(cancellationToken);
        try
        {
            await response.BodyWriter.WriteAsync(bytes, cancellationToken);
        }
        finally
        {
            writeLock.Release();
        }
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream opened for {AgentId} after seq {Cursor}")]
    private static partial void LogStreamOpened(ILogger logger, string agentId, long cursor);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Stream of {AgentId} dropped: {Reason}")]
    private static partial void LogStreamDropped(ILogger logger, string agentId, string reason);

    [LoggerMessage(Level = LogLevel.Debug, Message = "Stream of {AgentId} closed at seq {LastSeq}")]
    private static partial void LogStreamClosed(ILogger logger, string agentId, long lastSeq);
}
