using System.Net;
using System.Net.Sockets;
using System.Text;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary><c>meshfleet doctor</c> through the real executable, on a healthy mesh and on broken ones.</summary>
public sealed class DoctorCommandTests
{
    private const string Token = "correct-horse-battery-staple";

    [Fact]
    public async Task A_healthy_setup_is_all_ok_with_exit_code_0()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        await using ServeProcess serve = await ServeProcess.StartAsync(mesh, Token);
        foreach (string client in new[] { "claude", "codex" })
        {
            home.Install(client);
            // With the token, so setup writes the agent's key (codex reuses the one claude's config got).
            Assert.Equal(0, (await MeshfleetBinary.RunAsync(WithToken(home, Token), mesh.Timeout, "setup", client, "--agent", "lead")).ExitCode);
        }

        CliRun run = await MeshfleetBinary.RunAsync(WithToken(home, Token), mesh.Timeout, "doctor");

        Assert.True(run.ExitCode == 0, run.Stdout + run.Stderr);
        Assert.Contains($"ok    binary: meshfleet {ProductInfo.Version} at {MeshfleetBinary.Path}", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ok    store: {mesh.DatabasePath}, schema version", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ok    port: {mesh.Port} is held by meshfleet {ProductInfo.Version} (pid {serve.Pid}), serving this store", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok    token: set, and it is the token the store is protected by", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("ok    identity: on (MESHFLEET_TOKEN is set)", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ok    client claude: {home.ConfigPath("claude")} launches this meshfleet, agent 'lead' with its current key", run.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ok    client codex: {home.ConfigPath("codex")} launches this meshfleet, agent 'lead' with its current key", run.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain("FIX", run.Stdout, StringComparison.Ordinal);
        Assert.EndsWith("All good.\n", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_wrong_token_a_missing_binary_and_a_short_timeout_are_each_named_with_the_fix_and_exit_code_1()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        await using ServeProcess serve = await ServeProcess.StartAsync(mesh, Token);
        home.Install("opencode");
        home.Install("codex");
        await File.WriteAllTextAsync(home.ConfigPath("opencode"), """{"mcp": {"meshfleet": {"type": "local", "command": ["/nonexistent/meshfleet"]}}}""", mesh.Timeout);
        await File.WriteAllTextAsync(home.ConfigPath("codex"), $"[mcp_servers.meshfleet]\ncommand = \"{MeshfleetBinary.Path}\"\ntool_timeout_sec = 20\n", mesh.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(WithToken(home, "not-the-mesh-token-at-all"), mesh.Timeout, "doctor");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("FIX   token: MESHFLEET_TOKEN is not the token the store is protected by", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("FIX   client opencode: ", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("/nonexistent/meshfleet, which does not exist\n      -> run meshfleet setup opencode", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("FIX   client codex: ", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("the tool timeout is 20 s, below the 55 s a wait may take", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("3 problem(s) to fix", run.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_store_that_is_not_a_meshfleet_store_and_a_port_held_by_another_program_are_reported()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        await File.WriteAllTextAsync(mesh.DatabasePath, "this is not an SQLite database, just some text that is long enough to have a header", mesh.Timeout);
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        Task answering = AnswerOnceAsync(listener, mesh.Timeout);
        Dictionary<string, string> environment = new(home.Environment) { ["MESHFLEET_SSE_PORT"] = ((IPEndPoint)listener.LocalEndpoint).Port.ToString(System.Globalization.CultureInfo.InvariantCulture) };

        CliRun run = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "doctor");
        await answering;

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"FIX   store: {mesh.DatabasePath}: cannot be read as a Meshfleet store", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("is held by a program that is not a Meshfleet hub", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("no client is configured yet: meshfleet setup", run.Stdout, StringComparison.Ordinal);
        Assert.Equal("this is not an SQLite database, just some text that is long enough to have a header", await File.ReadAllTextAsync(mesh.DatabasePath, mesh.Timeout));
    }

    private static Dictionary<string, string> WithToken(ClientHomeScope home, string token) => new(home.Environment) { ["MESHFLEET_TOKEN"] = token };

    /// <summary>Plays a web server that is not Meshfleet: one request, answered with a page.</summary>
    private static async Task AnswerOnceAsync(TcpListener listener, CancellationToken cancellationToken)
    {
        using TcpClient client = await listener.AcceptTcpClientAsync(cancellationToken);
        await using NetworkStream stream = client.GetStream();
        byte[] buffer = new byte[4096];
        var request = new StringBuilder();
        while (!request.ToString().Contains("\r\n\r\n", StringComparison.Ordinal))
        {
            int read = await stream.ReadAsync(buffer, cancellationToken);
            if (read == 0)
            {
                return;
            }

            request.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        await stream.WriteAsync(Encoding.ASCII.GetBytes("HTTP/1.1 200 OK\r\nContent-Type: text/html\r\nContent-Length: 5\r\nConnection: close\r\n\r\nhello"), cancellationToken);
    }
}
