using System.Net;
using System.Text.Json;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>A store that was protected by a token stays protected, whichever process holds the port later.</summary>
public sealed class TokenProtectionTests
{
    private const string Token = "correct-horse-battery-staple";

    [Fact]
    public async Task Tokenless_process_never_serves_a_protected_store_after_the_token_holder_stops()
    {
        await using var scope = new MeshScope();
        MeshNode tokenless;
        await using (ServeProcess serve = await ServeProcess.StartAsync(scope, Token, ServeProcess.IdentityOff))
        {
            await using McpClient client = await serve.ConnectAsync();
            CallToolResult sent = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = "for b only" }, cancellationToken: scope.Timeout);
            Assert.True(sent.IsError != true);

            // Started the way the README's stdio snippets start it: same store, same port, no token.
            tokenless = await scope.StartNodeAsync();
        }

        // The port is free now. The tokenless process either takes it (the defect) or says once why it will not.
        Task<string> refused = tokenless.StderrLineAsync("Not serving HTTP here");
        Task finished = await Task.WhenAny(refused, tokenless.Listening).WaitAsync(scope.Timeout);
        Assert.True(finished == refused, "the tokenless process took the port of a token-protected store");
        Assert.Contains("MESHFLEET_TOKEN", await refused, StringComparison.Ordinal);

        foreach (string path in new[] { "/inbox/b/stream", "/api/overview", "/healthz" })
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => scope.Http.GetAsync(path, HttpCompletionOption.ResponseHeadersRead, scope.Timeout));
        }

        // MCP over stdio keeps working, and says why it offers no stream.
        JsonElement inbox = await tokenless.CallAsync("get_inbox", new() { ["agent_id"] = "b" });
        Assert.Equal("for b only", inbox.GetProperty("messages")[0].GetProperty("payload").GetString());
        string why = await tokenless.CallExpectingErrorAsync("subscribe_inbox", new() { ["agent_id"] = "b" });
        Assert.Contains("MESHFLEET_TOKEN", why, StringComparison.Ordinal);
        Assert.False(tokenless.Listening.IsCompleted);
    }

    [Fact]
    public async Task Serve_without_the_stores_token_fails_fast_saying_why()
    {
        await using var scope = new MeshScope();
        await using (ServeProcess serve = await ServeProcess.StartAsync(scope, Token))
        {
        }

        CliRun tokenless = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "serve");
        Assert.Equal(1, tokenless.ExitCode);
        Assert.Contains("token-protected", tokenless.Stderr, StringComparison.Ordinal);
        Assert.Contains("MESHFLEET_TOKEN", tokenless.Stderr, StringComparison.Ordinal);

        var other = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = "a-different-long-token" };
        CliRun wrong = await MeshfleetBinary.RunAsync(other, scope.Timeout, "serve");
        Assert.Equal(1, wrong.ExitCode);
        Assert.Contains("different token", wrong.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(Token, wrong.Stderr + tokenless.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Tokenless_hub_leaves_the_port_once_a_token_holder_protects_the_store()
    {
        await using var scope = new MeshScope();
        MeshNode tokenless = await scope.StartHubAsync();
        Assert.Equal(HttpStatusCode.OK, (await scope.Http.GetAsync("/api/overview", scope.Timeout)).StatusCode);

        // serve protects the store, the tokenless hub steps down, and serve takes the port over.
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, Token);
        await tokenless.StderrLineAsync("Leaving the HTTP port").WaitAsync(scope.Timeout);
        Assert.Equal(HttpStatusCode.Unauthorized, (await scope.Http.GetAsync("/api/overview", scope.Timeout)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await scope.Http.GetAsync("/inbox/b/stream", HttpCompletionOption.ResponseHeadersRead, scope.Timeout)).StatusCode);
        Assert.Equal(serve.Pid, await scope.HubPidAsync());
    }

    [Fact]
    public async Task Rotate_token_needs_the_current_token_and_then_only_the_new_one_serves()
    {
        await using var scope = new MeshScope();
        await using (ServeProcess first = await ServeProcess.StartAsync(scope, Token))
        {
        }

        const string NewToken = "a-brand-new-token-0123456789";
        var wrong = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = "not-the-current-token" };
        CliRun refused = await RotateAsync(wrong, NewToken, scope.Timeout);
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("different token", refused.Stderr, StringComparison.Ordinal);

        var current = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = Token };
        CliRun rotated = await RotateAsync(current, NewToken, scope.Timeout);
        Assert.True(rotated.ExitCode == 0, rotated.Stderr);
        Assert.DoesNotContain(NewToken, rotated.Stderr + rotated.Stdout, StringComparison.Ordinal);

        Assert.Equal(1, (await MeshfleetBinary.RunAsync(current, scope.Timeout, "serve")).ExitCode);
        await using ServeProcess renewed = await ServeProcess.StartAsync(scope, NewToken);
        using HttpResponseMessage overview = await scope.Http.SendAsync(renewed.Request(HttpMethod.Get, "/api/overview"), scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, overview.StatusCode);
    }

    private static async Task<CliRun> RotateAsync(Dictionary<string, string> environment, string newToken, CancellationToken cancellationToken)
    {
        using var process = System.Diagnostics.Process.Start(MeshfleetBinary.StartInfo(environment, "rotate-token"))!;
        await process.StandardInput.WriteLineAsync(newToken.AsMemory(), cancellationToken);
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return new CliRun(process.ExitCode, await stdout, await stderr);
    }
}
