using System.Buffers;
using System.Globalization;
using System.Net;
using System.Text;
using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Bench.Floor;

/// <summary>
/// The floor: the least a push relay can do on the same stack. Kestrel, POST a message in, Server-Sent Events out in
/// Meshfleet's event format; no MCP, no store, no validation beyond parsing the JSON body. Runs in its own process.
/// </summary>
internal static class FloorRelay
{
    public const string ReadyLine = "floor relay listening";
    private static readonly byte[] Preamble = "retry: 2000\n\n"u8.ToArray();
    private static long _seq;

    public static async Task<int> RunAsync(int port)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Listen(IPAddress.Loopback, port);
        });
        WebApplication app = builder.Build();
        var subscribers = new FloorSubscribers();
        app.MapPost("/send/{agent}", (HttpContext context, string agent) => SendAsync(context, agent, subscribers));
        app.MapGet("/stream/{agent}", (HttpContext context, string agent) => StreamAsync(context, agent, subscribers));
        await app.StartAsync();
        Console.WriteLine($"{ReadyLine} on port {port}");
        await app.WaitForShutdownAsync();
        return 0;
    }

    private static async Task SendAsync(HttpContext context, string agent, FloorSubscribers subscribers)
    {
        using JsonDocument body = await JsonDocument.ParseAsync(context.Request.Body, cancellationToken: context.RequestAborted);
        JsonElement root = body.RootElement;
        long seq = Interlocked.Increment(ref _seq);
        var buffer = new ArrayBufferWriter<byte>(256);
        buffer.Write(Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"id: {seq}\nevent: message\ndata: ")));
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteNumber("seq", seq);
            json.WriteString("from_agent_id", root.GetProperty("from_agent_id").GetString());
            json.WriteString("to_agent_id", agent);
            json.WriteString("payload", root.GetProperty("payload").GetString());
            json.WriteNumber("timestamp", DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
            json.WriteEndObject();
        }

        buffer.Write("\n\n"u8);
        subscribers.Publish(agent, buffer.WrittenMemory.ToArray());
        context.Response.ContentType = "application/json";
        await context.Response.WriteAsync(string.Create(CultureInfo.InvariantCulture, $"{{\"seq\":{seq}}}"), context.RequestAborted);
    }

    private static async Task StreamAsync(HttpContext context, string agent, FloorSubscribers subscribers)
    {
        Channel<byte[]> events = subscribers.Add(agent);
        try
        {
            context.Response.ContentType = "text/event-stream";
            context.Response.Headers.CacheControl = "no-cache";
            await context.Response.Body.WriteAsync(Preamble, context.RequestAborted);
            await context.Response.Body.FlushAsync(context.RequestAborted);
            await foreach (byte[] item in events.Reader.ReadAllAsync(context.RequestAborted))
            {
                await context.Response.Body.WriteAsync(item, context.RequestAborted);
                await context.Response.Body.FlushAsync(context.RequestAborted);
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or IOException)
        {
            // The subscriber went away.
        }
        finally
        {
            subscribers.Remove(agent, events);
        }
    }
}
