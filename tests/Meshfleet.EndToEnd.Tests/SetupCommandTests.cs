using System.Text.Json.Nodes;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary><c>meshfleet setup</c> through the real executable, in a temporary HOME per test.</summary>
public sealed class SetupCommandTests
{
    // Each client's config with keys of the user's own, which setup must keep.
    private static readonly Dictionary<string, string> Foreign = new()
    {
        ["claude"] = """{"numStartups": 7, "mcpServers": {"other": {"type": "stdio", "command": "/usr/bin/other"}}, "projects": {"/w": {"mcpServers": {}}}}""",
        ["opencode"] = """{"$schema": "https://opencode.ai/config.json", "theme": "dark", "mcp": {"other": {"type": "remote", "url": "http://127.0.0.1:1"}}}""",
        ["gemini"] = """{"ui": {"theme": "GitHub"}, "mcpServers": {"other": {"command": "/usr/bin/other"}}, "hooks": {"AfterTool": [{"matcher": "write_file", "hooks": [{"type": "command", "name": "mine", "command": "true"}]}]}}""",
        ["codex"] = "# my settings\nmodel = \"o3\"\n\n[mcp_servers.other]\ncommand = \"/usr/bin/other\"\n\n[mcp_servers.meshfleet]\ncommand = \"/old/meshfleet\"\nenabled = true\n\n[mcp_servers.meshfleet.env]\nMY_VAR = \"kept\"\n\n# profiles below\n[profiles.fast]\nmodel = \"o4-mini\"\n",
    };

    [Theory]
    [InlineData("claude")]
    [InlineData("opencode")]
    [InlineData("codex")]
    [InlineData("gemini")]
    public async Task Setup_writes_the_entry_keeps_every_other_key_and_a_second_run_changes_nothing(string client)
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install(client);
        string path = home.ConfigPath(client);
        await File.WriteAllTextAsync(path, Foreign[client], mesh.Timeout);

        CliRun first = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", client, "--agent", "reviewer");
        Assert.True(first.ExitCode == 0, first.Stderr);
        string written = await File.ReadAllTextAsync(path, mesh.Timeout);
        Assert.Contains("wrote " + path, first.Stdout, StringComparison.Ordinal);

        if (client == "codex")
        {
            Assert.StartsWith("# my settings\nmodel = \"o3\"\n\n[mcp_servers.other]\ncommand = \"/usr/bin/other\"\n\n[mcp_servers.meshfleet]\n", written, StringComparison.Ordinal);
            Assert.Contains($"command = \"{MeshfleetBinary.Path}\"\n", written, StringComparison.Ordinal);
            Assert.Contains($"env = {{ MY_VAR = \"kept\", MESHFLEET_AGENT_ID = \"reviewer\", MESHFLEET_DB = \"{mesh.DatabasePath}\", MESHFLEET_SSE_PORT = \"{mesh.Port}\" }}\n", written, StringComparison.Ordinal);
            Assert.Contains("tool_timeout_sec = 90\n", written, StringComparison.Ordinal);
            Assert.Contains("startup_timeout_sec = 30\n", written, StringComparison.Ordinal);
            Assert.Contains("enabled = true\n", written, StringComparison.Ordinal);
            Assert.EndsWith("\n\n# profiles below\n[profiles.fast]\nmodel = \"o4-mini\"\n", written, StringComparison.Ordinal);
            Assert.DoesNotContain("/old/meshfleet", written, StringComparison.Ordinal);
            Assert.DoesNotContain("[mcp_servers.meshfleet.env]", written, StringComparison.Ordinal);
        }
        else
        {
            JsonNode root = JsonNode.Parse(written)!;
            JsonNode before = JsonNode.Parse(Foreign[client])!;
            string container = client == "opencode" ? "mcp" : "mcpServers";
            JsonNode server = root[container]!["meshfleet"]!;
            Assert.True(JsonNode.DeepEquals(before[container]!["other"], root[container]!["other"]));
            Assert.Equal("reviewer", server[client == "opencode" ? "environment" : "env"]!["MESHFLEET_AGENT_ID"]!.GetValue<string>());
            switch (client)
            {
                case "claude":
                    Assert.Equal(MeshfleetBinary.Path, server["command"]!.GetValue<string>());
                    Assert.Equal(7, root["numStartups"]!.GetValue<int>());
                    Assert.True(JsonNode.DeepEquals(before["projects"], root["projects"]));
                    break;
                case "opencode":
                    Assert.Equal("local", server["type"]!.GetValue<string>());
                    Assert.Equal(MeshfleetBinary.Path, server["command"]![0]!.GetValue<string>());
                    Assert.Equal(90_000, server["timeout"]!.GetValue<long>());
                    Assert.Equal("dark", root["theme"]!.GetValue<string>());
                    break;
                case "gemini":
                    Assert.Equal(MeshfleetBinary.Path, server["command"]!.GetValue<string>());
                    Assert.Equal(90_000, server["timeout"]!.GetValue<long>());
                    Assert.True(server["trust"]!.GetValue<bool>());
                    Assert.Equal("GitHub", root["ui"]!["theme"]!.GetValue<string>());
                    JsonArray afterTool = root["hooks"]!["AfterTool"]!.AsArray();
                    Assert.Equal("mine", afterTool[0]!["hooks"]![0]!["name"]!.GetValue<string>());
                    Assert.Contains("inbox --hook AfterTool", afterTool[1]!["hooks"]![0]!["command"]!.GetValue<string>(), StringComparison.Ordinal);
                    Assert.Single(root["hooks"]!["AfterAgent"]!.AsArray());
                    break;
            }
        }

        CliRun second = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", client, "--agent", "reviewer");
        Assert.True(second.ExitCode == 0, second.Stderr);
        Assert.Contains("unchanged " + path, second.Stdout, StringComparison.Ordinal);
        Assert.Equal(written, await File.ReadAllTextAsync(path, mesh.Timeout));
    }

    [Theory]
    [InlineData("claude")]
    [InlineData("codex")]
    public async Task Dry_run_prints_the_entry_and_writes_nothing(string client)
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install(client);
        string path = home.ConfigPath(client);

        CliRun run = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", client, "--agent", "planner", "--dry-run");

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("would write " + path, run.Stdout, StringComparison.Ordinal);
        Assert.Contains(MeshfleetBinary.Path, run.Stdout, StringComparison.Ordinal);
        Assert.Contains("planner", run.Stdout, StringComparison.Ordinal);
        Assert.Contains("nothing was written", run.Stdout, StringComparison.Ordinal);
        Assert.False(File.Exists(path));
    }

    [Fact]
    public async Task A_client_that_is_not_installed_is_refused_with_how_to_install_it()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);

        CliRun run = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", "gemini", "--agent", "a");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("Gemini CLI is not installed", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("npm install -g @google/gemini-cli", run.Stderr, StringComparison.Ordinal);
        Assert.False(Directory.Exists(Path.Combine(home.Home, ".gemini")));
    }

    [Fact]
    public async Task A_config_that_is_not_valid_json_is_left_untouched()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);
        home.Install("opencode");
        string path = home.ConfigPath("opencode");
        await File.WriteAllTextAsync(path, "{\"mcp\": {", mesh.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", "opencode");

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("not valid JSON", run.Stderr, StringComparison.Ordinal);
        Assert.Equal("{\"mcp\": {", await File.ReadAllTextAsync(path, mesh.Timeout));
    }

    [Fact]
    public async Task An_unknown_client_is_refused_with_the_usage()
    {
        await using var mesh = new MeshScope();
        var home = new ClientHomeScope(mesh);

        CliRun run = await MeshfleetBinary.RunAsync(home.Environment, mesh.Timeout, "setup", "cursor");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("claude|opencode|codex|gemini", run.Stderr, StringComparison.Ordinal);
    }
}
