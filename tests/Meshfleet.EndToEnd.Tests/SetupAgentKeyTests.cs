using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// <c>meshfleet setup --agent ID</c> on a mesh with a token (agent identity on): it writes the agent's key into the client's
/// config, never prints it, and the command line it wrote acts as that agent and no other.
/// </summary>
public sealed partial class SetupAgentKeyTests
{
    private const string Token = "correct-horse-battery-staple";

    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    public async Task Setup_claims_a_key_writes_it_privately_and_the_written_server_acts_as_that_agent_only(string client)
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install(client);
        string path = home.ConfigPath(client);
        Dictionary<string, string> environment = new(home.Environment) { ["MESHFLEET_TOKEN"] = Token };

        CliRun dryRun = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", client, "--agent", "reviewer", "--dry-run");
        Assert.True(dryRun.ExitCode == 0, dryRun.Stderr);
        Assert.Contains("MESHFLEET_AGENT_KEY", dryRun.Stdout, StringComparison.Ordinal);
        Assert.Contains("mfk_…(redacted)", dryRun.Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(KeyPattern(), dryRun.Stdout + dryRun.Stderr);
        Assert.False(File.Exists(path));
        Assert.False(File.Exists(mesh.DatabasePath)); // a dry run claims nothing, and does not even create the store

        CliRun first = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", client, "--agent", "reviewer");
        Assert.True(first.ExitCode == 0, first.Stderr);
        Assert.Contains("claimed a new key for 'reviewer'", first.Stdout, StringComparison.Ordinal);
        Assert.DoesNotMatch(KeyPattern(), first.Stdout + first.Stderr);
        if (!OperatingSystem.IsWindows())
        {
            Assert.Equal(UnixFileMode.UserRead | UnixFileMode.UserWrite, File.GetUnixFileMode(path));
        }

        (string command, Dictionary<string, string> serverEnvironment) = WrittenServer(client, await File.ReadAllTextAsync(path, mesh.Timeout));
        Assert.Equal(MeshfleetBinary.Path, command);
        Assert.Equal("reviewer", serverEnvironment["MESHFLEET_AGENT_ID"]);
        Assert.Matches(KeyPattern(), serverEnvironment["MESHFLEET_AGENT_KEY"]);

        CliRun second = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", client, "--agent", "reviewer");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("unchanged " + path, second.Stdout, StringComparison.Ordinal);
        Assert.Contains("keeping the current key of 'reviewer'", second.Stdout, StringComparison.Ordinal);
        Assert.Equal(serverEnvironment["MESHFLEET_AGENT_KEY"], WrittenServer(client, await File.ReadAllTextAsync(path, mesh.Timeout)).Environment["MESHFLEET_AGENT_KEY"]);

        // What the client launches: the written command with the written environment, plus the token from the client's own environment.
        serverEnvironment["MESHFLEET_TOKEN"] = Token;
        MeshNode bound = await mesh.StartNodeAsync(serverEnvironment);
        // Sending as itself without naming itself works only with a valid key: identity on refuses a keyless caller.
        JsonElement sent = await bound.CallAsync("send_message", new() { ["to_agent_id"] = "author", ["payload"] = "looks good" });
        Assert.False(string.IsNullOrEmpty(sent.GetProperty("message_id").GetString()));
        string impersonation = await bound.CallExpectingErrorAsync("send_message", new() { ["from_agent_id"] = "author", ["to_agent_id"] = "reviewer", ["payload"] = "forged" });
        Assert.Contains("Refused: you are agent 'reviewer'", impersonation, StringComparison.Ordinal);
        string otherInbox = await bound.CallExpectingErrorAsync("get_inbox", new() { ["agent_id"] = "author" });
        Assert.Contains("Refused", otherInbox, StringComparison.Ordinal);

        CliRun doctor = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "doctor");
        Assert.Contains("ok    identity: on (MESHFLEET_TOKEN is set)", doctor.Stdout, StringComparison.Ordinal);
        Assert.Contains($"ok    client {client}: {path} launches this meshfleet, agent 'reviewer' with its current key", doctor.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_agent_whose_key_is_held_elsewhere_is_refused_until_the_key_is_given_or_rotated_and_doctor_names_a_stale_key()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install("opencode");
        home.Install("gemini");
        string path = home.ConfigPath("opencode");
        Dictionary<string, string> environment = new(home.Environment) { ["MESHFLEET_TOKEN"] = Token };

        // Another client's config holds the key: setup reuses it rather than refusing.
        Assert.Equal(0, (await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "gemini", "--agent", "lead")).ExitCode);
        CliRun reused = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead");
        Assert.True(reused.ExitCode == 0, reused.Stderr);
        string geminiKey = WrittenServer("gemini", await File.ReadAllTextAsync(home.ConfigPath("gemini"), mesh.Timeout)).Environment["MESHFLEET_AGENT_KEY"];
        Assert.Equal(geminiKey, WrittenServer("opencode", await File.ReadAllTextAsync(path, mesh.Timeout)).Environment["MESHFLEET_AGENT_KEY"]);

        // The operator rotates the key: both configs now hold a stale one, and doctor says so.
        CliRun rotate = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "agent-key", "rotate", "lead");
        Assert.True(rotate.ExitCode == 0, rotate.Stderr);
        string rotated = rotate.Stdout.Trim();
        CliRun doctor = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "doctor");
        Assert.Equal(1, doctor.ExitCode);
        Assert.Contains("its MESHFLEET_AGENT_KEY is not the current key of agent 'lead'", doctor.Stdout, StringComparison.Ordinal);
        Assert.DoesNotContain(geminiKey, doctor.Stdout, StringComparison.Ordinal);

        string before = await File.ReadAllTextAsync(path, mesh.Timeout);
        CliRun refused = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead");
        Assert.Equal(1, refused.ExitCode);
        Assert.Contains("agent 'lead' already has a key", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--agent-key KEY", refused.Stderr, StringComparison.Ordinal);
        Assert.Contains("--rotate-key", refused.Stderr, StringComparison.Ordinal);
        Assert.Equal(before, await File.ReadAllTextAsync(path, mesh.Timeout));

        CliRun wrongKey = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead", "--agent-key", geminiKey);
        Assert.Equal(1, wrongKey.ExitCode);
        Assert.Contains("is not the current key of agent 'lead'", wrongKey.Stderr, StringComparison.Ordinal);

        CliRun given = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead", "--agent-key", rotated);
        Assert.True(given.ExitCode == 0, given.Stderr);
        Assert.Equal(rotated, WrittenServer("opencode", await File.ReadAllTextAsync(path, mesh.Timeout)).Environment["MESHFLEET_AGENT_KEY"]);

        CliRun replaced = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "gemini", "--agent", "lead", "--rotate-key");
        Assert.True(replaced.ExitCode == 0, replaced.Stderr);
        Assert.Contains("replaced the key of 'lead'", replaced.Stdout, StringComparison.Ordinal);
        string newest = WrittenServer("gemini", await File.ReadAllTextAsync(home.ConfigPath("gemini"), mesh.Timeout)).Environment["MESHFLEET_AGENT_KEY"];
        Assert.NotEqual(rotated, newest);

        // Now opencode's key is the stale one; rebinding it to another agent drops the old agent's key with the binding.
        CliRun rebound = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "writer");
        Assert.True(rebound.ExitCode == 0, rebound.Stderr);
        Dictionary<string, string> writer = WrittenServer("opencode", await File.ReadAllTextAsync(path, mesh.Timeout)).Environment;
        Assert.Equal("writer", writer["MESHFLEET_AGENT_ID"]);
        Assert.NotEqual(rotated, writer["MESHFLEET_AGENT_KEY"]);
        Assert.NotEqual(newest, writer["MESHFLEET_AGENT_KEY"]);
        CliRun healthy = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "doctor");
        Assert.DoesNotContain("FIX   client", healthy.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_config_setup_cannot_read_is_refused_before_a_key_is_claimed()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install("opencode");
        await File.WriteAllTextAsync(home.ConfigPath("opencode"), "{\"mcp\": {", mesh.Timeout);
        Dictionary<string, string> environment = new(home.Environment) { ["MESHFLEET_TOKEN"] = Token };

        CliRun run = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not valid JSON", run.Stderr, StringComparison.Ordinal);
        // Nothing claimed: the agent can still be set up once the config is fixed, without --rotate-key.
        await File.WriteAllTextAsync(home.ConfigPath("opencode"), "{}", mesh.Timeout);
        CliRun fixedRun = await MeshfleetBinary.RunAsync(environment, mesh.Timeout, "setup", "opencode", "--agent", "lead");
        Assert.True(fixedRun.ExitCode == 0, fixedRun.Stderr);
        Assert.Contains("claimed a new key for 'lead'", fixedRun.Stdout, StringComparison.Ordinal);
    }

    /// <summary>The command and environment the client's config launches meshfleet with.</summary>
    private static (string Command, Dictionary<string, string> Environment) WrittenServer(string client, string text)
    {
        if (client == "codex")
        {
            string command = CodexCommand().Match(text).Groups[1].Value;
            Dictionary<string, string> pairs = CodexPair().Matches(CodexEnvironment().Match(text).Groups[1].Value).ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
            return (command, pairs);
        }

        JsonNode server = JsonNode.Parse(text)![client == "opencode" ? "mcp" : "mcpServers"]!["meshfleet"]!;
        JsonNode commandNode = server["command"]!;
        string executable = commandNode is JsonArray array ? array[0]!.GetValue<string>() : commandNode.GetValue<string>();
        JsonObject environment = server[client == "opencode" ? "environment" : "env"]!.AsObject();
        return (executable, environment.ToDictionary(p => p.Key, p => p.Value!.GetValue<string>()));
    }

    [GeneratedRegex("mfk_[A-Za-z0-9_-]{20,}")]
    private static partial Regex KeyPattern();

    [GeneratedRegex("""(?m)^command = "([^"]*)"$""")]
    private static partial Regex CodexCommand();

    [GeneratedRegex("""(?m)^env = \{ (.*) \}$""")]
    private static partial Regex CodexEnvironment();

    [GeneratedRegex("""([A-Z_]+) = "([^"]*)"(?:, |$)""")]
    private static partial Regex CodexPair();
}
