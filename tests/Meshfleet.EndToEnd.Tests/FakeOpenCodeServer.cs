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
/// first, a child session on top) and <c>POST /session/{id}/prompt_async</c> (204), behind basic auth. The first prompt
/// is refused with 503 so tests see the bridge retry instead of skipping.
/// </summary>
internal sealed class FakeOpenCodeServer : IAsyncDisposable
{
    public const string Password = "fake-opencode-password";
    private readonly WebApplication _app;
    private readonly Channel<(string Session, string Text)> _prompts = Channel.CreateUnbounded<(string, string)>();
    private int _posts;

    private FakeOpenCodeServer(WebApplication app)
    {
        _app = app;
    }

    public string Url { get; private set; } = string.Empty;

    /// <summary>Every prompt_async request, the refused ones included.</summary>
    public int Posts => Volatile.Read(ref _posts);

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
            server._prompts.Writer.TryWrite((id, part.GetProperty("text").GetString()!));
            return Results.NoContent();
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
