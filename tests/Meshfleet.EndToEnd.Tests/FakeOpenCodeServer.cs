using System.Text.Json;
using System.Threading.Channels;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The slice of OpenCode 1.18.33's server API the bridge uses, on a real Kestrel socket: <c>GET /session</c> (most recent
/// first, a child session on top), <c>POST /session/{id}/prompt_async</c> (204) and <c>GET /session/{id}/message</c>,
/// behind basic auth. The first prompt is refused with 503 so tests see the bridge retry instead of skipping. Like the
/// real one, an accepted prompt is listed only a little later (here: from the second listing on), and a prompt posted
/// before the previous one is listed is counted, since OpenCode may then record them out of order.
/// </summary>
internal sealed class FakeOpenCodeServer : IAsyncDisposable
{
    public const string Password = "fake-opencode-password";
    private readonly WebApplication _app;
    private readonly Channel<(string Session, string Text)> _prompts = Channel.CreateUnbounded<(string, string)>();
    private readonly List<string> _listed = [];
    private readonly object _gate = new();
    private string? _unlisted;
    private readonly List<string> _messageIds = [];
    private int _busyReports;
    private int _posts;
    private int _postsBeforeListed;
    private int _postsWhileBusy;

    private FakeOpenCodeServer(WebApplication app)
    {
        _app = app;
    }

    public string Url { get; private set; } = string.Empty;

    /// <summary>Every prompt_async request, the refused ones included.</summary>
    public int Posts => Volatile.Read(ref _posts);

    /// <summary>Prompts that arrived while an earlier accepted one was not listed yet.</summary>
    public int PostsBeforeListed => Volatile.Read(ref _postsBeforeListed);

    /// <summary>While true, the session reports a running turn that never ends.</summary>
    public bool StayBusy { get; set; }

    /// <summary>Prompts that arrived while the session reported a running turn.</summary>
    public int PostsWhileBusy => Volatile.Read(ref _postsWhileBusy);

    /// <summary>The messageID of every accepted prompt, in arrival order.</summary>
    public IReadOnlyList<string> MessageIds
    {
        get
        {
            lock (_gate)
            {
                return [.. _messageIds];
            }
        }
    }

    public static async Task<FakeOpenCodeServer> StartAsync()
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.UseUrls("http://127.0.0.1:0");
        builder.Logging.ClearProviders();
        WebApplication app = builder.Build();
        var server = new FakeOpenCodeServer(app);
        string expected = "Basic " + Convert.ToBase64String(System.Text.Encoding.UTF8.GetBytes("opencode:" + Password));
        app.Use(async (context, next) =>
        {
            if (context.Request.Headers.Authorization != expected)
            {
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                return;
            }

            await next(context);
        });
        app.MapGet("/session", () => Results.Text("""[{"id":"ses_child","parentID":"ses_main","title":"subagent"},{"id":"ses_main","title":"main"}]""", "application/json"));
        app.MapPost("/session/{id}/prompt_async", async (string id, HttpRequest request) =>
        {
            if (Interlocked.Increment(ref server._posts) == 1)
            {
                return Results.StatusCode(StatusCodes.Status503ServiceUnavailable);
            }

            using JsonDocument body = await JsonDocument.ParseAsync(request.Body);
            JsonElement part = body.RootElement.GetProperty("parts")[0];
            Assert.Equal("text", part.GetProperty("type").GetString());
            string text = part.GetProperty("text").GetString()!;
            lock (server._gate)
            {
                server._messageIds.Add(body.RootElement.GetProperty("messageID").GetString()!);
                if (server._busyReports > 0 || server.StayBusy)
                {
                    server._postsWhileBusy++;
                }

                // The accepted prompt runs a turn: the next two status checks see the session busy.
                server._busyReports = 2;
                if (server._unlisted is not null)
                {
                    server._postsBeforeListed++;
                    server._listed.Add(server._unlisted);
                }

                server._unlisted = text;
            }

            server._prompts.Writer.TryWrite((id, text));
            return Results.NoContent();
        });
        app.MapGet("/session/status", () =>
        {
            lock (server._gate)
            {
                if (server.StayBusy)
                {
                    return Results.Text("""{"ses_main":{"type":"busy"}}""", "application/json");
                }

                if (server._busyReports == 0)
                {
                    return Results.Text("{}", "application/json");
                }

                server._busyReports--;
                return Results.Text("""{"ses_main":{"type":"busy"}}""", "application/json");
            }
        });
        app.MapGet("/session/{id}/message", (string id) =>
        {
            lock (server._gate)
            {
                List<string> listed = [.. server._listed];
                if (server._unlisted is not null)
                {
                    server._listed.Add(server._unlisted);
                    server._unlisted = null;
                }

                var messages = new System.Text.Json.Nodes.JsonArray();
                foreach (string text in listed)
                {
                    messages.Add(new System.Text.Json.Nodes.JsonObject
                    {
                        ["info"] = new System.Text.Json.Nodes.JsonObject { ["role"] = "user", ["sessionID"] = id },
                        ["parts"] = new System.Text.Json.Nodes.JsonArray(new System.Text.Json.Nodes.JsonObject { ["type"] = "text", ["text"] = text }),
                    });
                }

                return Results.Text(messages.ToJsonString(), "application/json");
            }
        });
        await app.StartAsync();
        server.Url = app.Urls.First();
        return server;
    }

    public async Task<(string Session, string Text)> NextPromptAsync(CancellationToken timeout) => await _prompts.Reader.ReadAsync(timeout);

    public bool HasPendingPrompt => _prompts.Reader.TryPeek(out _);

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
    }
}
