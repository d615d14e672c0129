using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>find_agents and routed send_message through the real executable and the real all-MiniLM-L6-v2 model.</summary>
public sealed class RoutingEndToEndTests
{
    [Fact]
    public async Task Real_model_ranks_a_small_roster_and_send_by_fleet_reaches_the_best_online_agent()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(IsolatedHome(scope));
        await RegisterRosterAsync(node);

        JsonElement found = await node.CallAsync("find_agents", new() { ["task"] = "Add an index on the orders table without locking it for hours", ["fleet_id"] = "crew" });
        Assert.Equal("db", found.GetProperty("agents")[0].GetProperty("agent_id").GetString());
        Assert.Equal("all-MiniLM-L6-v2", found.GetProperty("model").GetString());
        Assert.True(found.GetProperty("good_match").GetBoolean());
        double[] scores = found.GetProperty("agents").EnumerateArray().Select(a => a.GetProperty("score").GetDouble()).ToArray();
        Assert.Equal(scores.OrderDescending(), scores);
        Assert.All(scores, s => Assert.InRange(s, 0, 1));

        JsonElement cake = await node.CallAsync("find_agents", new() { ["task"] = "Bake a chocolate cake" });
        Assert.False(cake.GetProperty("good_match").GetBoolean());
        Assert.Contains("No agent fits", cake.GetProperty("note").GetString(), StringComparison.Ordinal);

        string empty = await node.CallExpectingErrorAsync("find_agents", new() { ["task"] = " " });
        Assert.Contains("'task' is missing or empty", empty, StringComparison.Ordinal);

        JsonElement routed = await node.CallAsync("send_message", new() { ["from_agent_id"] = "lead", ["fleet_id"] = "crew", ["payload"] = "Write a getting-started tutorial for the CLI" });
        Assert.Equal("writer", routed.GetProperty("to_agent_id").GetString());
        Assert.True(routed.GetProperty("score").GetDouble() >= 0.2);
        JsonElement inbox = await node.CallAsync("get_inbox", new() { ["agent_id"] = "writer" });
        Assert.Equal(routed.GetProperty("message_id").GetString(), inbox.GetProperty("messages")[0].GetProperty("message_id").GetString());

        Assert.Equal(4L, await scope.QueryStoreAsync("SELECT COUNT(*) FROM agent_embeddings WHERE model = 'all-MiniLM-L6-v2'"));
        Assert.Equal("writer", await scope.QueryStoreAsync($"SELECT to_agent_id FROM routed_messages WHERE message_id = '{routed.GetProperty("message_id").GetString()}' AND from_agent_id = 'lead' AND fleet_id = 'crew'"));
    }

    [Fact]
    public async Task Routing_connects_to_nothing_and_writes_nothing_outside_the_store()
    {
        await using var scope = new MeshScope();
        Dictionary<string, string> home = IsolatedHome(scope);
        MeshNode node = await scope.StartNodeAsync(home);
        await RegisterRosterAsync(node);

        string tracePath = Path.Combine(scope.Directory, "strace.log");
        await using SyscallTrace trace = await SyscallTrace.AttachAsync(node.Pid, tracePath, scope.Timeout);
        await node.CallAsync("find_agents", new() { ["task"] = "Review the SQL migration in PR 12" });
        await node.CallAsync("send_message", new() { ["from_agent_id"] = "lead", ["fleet_id"] = "crew", ["payload"] = "Build the React settings page" });
        string[] lines = await trace.StopAsync(scope.Timeout);

        Assert.Contains(lines, l => l.Contains("openat(", StringComparison.Ordinal)); // the trace saw the model load
        Assert.Empty(SyscallTrace.OffMachine(lines));
        // /proc and /dev are not files on disk: the runtime names its new threads through /proc/self/task/N/comm. The one
        // place besides the store is the AOT binary's own cache, where it extracts ONNX Runtime's library.
        string cache = Path.Combine(home["XDG_CACHE_HOME"], "meshfleet");
        Assert.DoesNotContain(
            SyscallTrace.Written(lines),
            p => !p.StartsWith(scope.DatabasePath, StringComparison.Ordinal) && !p.StartsWith("/dev/", StringComparison.Ordinal) && !p.StartsWith("/proc/", StringComparison.Ordinal)
                && !p.StartsWith(cache, StringComparison.Ordinal) && p != home["XDG_CACHE_HOME"]);
        Assert.DoesNotContain(
            Directory.EnumerateFiles(home["HOME"], "*", SearchOption.AllDirectories),
            p => !p.StartsWith(cache, StringComparison.Ordinal)); // ONNX Runtime telemetry wrote ~/.cache/Microsoft
    }

    [Fact]
    public async Task A_broken_model_file_is_a_clear_tool_error_and_the_server_keeps_serving()
    {
        await using var scope = new MeshScope();
        string model = Directory.CreateDirectory(Path.Combine(scope.Directory, "model")).FullName;
        await File.WriteAllTextAsync(Path.Combine(model, "model.onnx"), "not an onnx model", scope.Timeout);
        await File.WriteAllTextAsync(Path.Combine(model, "vocab.txt"), "[PAD]\n[UNK]\n[CLS]\n[SEP]\nhello\n", scope.Timeout);
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_EMBEDDING_MODEL"] = model });
        await RegisterRosterAsync(node);

        string error = await node.CallExpectingErrorAsync("find_agents", new() { ["task"] = "Review the SQL migration" });

        Assert.Contains("could not load the embedding model", error, StringComparison.Ordinal);
        Assert.Contains("MESHFLEET_EMBEDDING_MODEL", error, StringComparison.Ordinal);
        JsonElement agents = await node.CallAsync("list_agents", new());
        Assert.Equal(4, agents.GetProperty("agents").GetArrayLength());
    }

    /// <summary>A fresh, empty home for the process, so anything it writes under ~ (or the XDG folders) can be seen.</summary>
    private static Dictionary<string, string> IsolatedHome(MeshScope scope)
    {
        string home = Directory.CreateDirectory(Path.Combine(scope.Directory, "home")).FullName;
        return new()
        {
            ["HOME"] = home,
            ["XDG_CACHE_HOME"] = Path.Combine(home, ".cache"),
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share"),
        };
    }

    private static async Task RegisterRosterAsync(MeshNode node)
    {
        await node.CallAsync("register_agent", new() { ["agent_id"] = "lead", ["role"] = "orchestrator", ["description"] = "Splits work and hands it out.", ["fleet_id"] = "crew" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "db", ["role"] = "database", ["description"] = "Writes and checks SQL schema migrations, indexes and query plans.", ["fleet_id"] = "crew" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "frontend", ["role"] = "frontend", ["description"] = "Builds React components and CSS layouts.", ["fleet_id"] = "crew" });
        await node.CallAsync("register_agent", new() { ["agent_id"] = "writer", ["role"] = "technical writer", ["description"] = "Writes READMEs, tutorials and changelogs.", ["fleet_id"] = "crew" });
    }
}
