using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// <c>meshfleet watch</c> as real processes: one line per message, resuming after its own restart and across a hub
/// takeover with no gap and no repeat, starting with only new messages unless told otherwise.
/// </summary>
public sealed class WatchTests
{
    [Fact]
    public async Task Watch_resumes_after_its_own_restart_without_gap_or_repeat()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        List<long> sent = [];

        await using (FollowerProcess first = await StartWatchAsync(scope, "reader", "--json"))
        {
            sent.AddRange(await SendAsync(hub, "reader", "a", "b", "c"));
            List<long> seen = await ReadSeqsAsync(first, 3, scope.Timeout);
            Assert.Equal(sent, seen);
            Assert.Equal(0, await first.StopAsync(scope.Timeout));
        }

        // Sent while no watch runs: the restarted one must print exactly these, nothing before them again.
        List<long> whileDown = await SendAsync(hub, "reader", "d", "e");
        await using FollowerProcess second = await StartWatchAsync(scope, "reader", "--json");
        List<long> later = await SendAsync(hub, "reader", "f");
        Assert.Equal([.. whileDown, .. later], await ReadSeqsAsync(second, 3, scope.Timeout));
        Assert.Equal(0, await second.StopAsync(scope.Timeout));
        Assert.Empty(await second.RemainingLinesAsync(scope.Timeout));
    }

    [Fact]
    public async Task Watch_follows_a_hub_takeover_after_sigkill_without_gap_or_repeat()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        MeshNode survivor = await scope.StartNodeAsync();
        await using FollowerProcess watch = await StartWatchAsync(scope, "reader", "--json");

        List<long> sent = await SendAsync(survivor, "reader", "1", "2", "3");
        Assert.Equal(sent, await ReadSeqsAsync(watch, 3, scope.Timeout));

        await hub.KillAsync();
        await survivor.Listening.WaitAsync(scope.Timeout);
        List<long> afterTakeover = await SendAsync(survivor, "reader", "4", "5", "6");
        Assert.Equal(afterTakeover, await ReadSeqsAsync(watch, 3, scope.Timeout));
        Assert.Contains(watch.Stderr, line => line.Contains("lost the stream", StringComparison.Ordinal));

        Assert.Equal(0, await watch.StopAsync(scope.Timeout));
        Assert.Empty(await watch.RemainingLinesAsync(scope.Timeout));
    }

    [Fact]
    public async Task Watch_first_start_shows_only_new_messages_and_since_zero_shows_the_backlog()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        List<long> old = await SendAsync(hub, "reader", "old one", "old two");

        await using FollowerProcess fresh = await StartWatchAsync(scope, "reader");
        List<long> fresh1 = await SendAsync(hub, "reader", "line one\nline two 日本語 <b>&</b>");
        string line = await fresh.ReadLineAsync(scope.Timeout);
        Assert.Contains("from=sender", line, StringComparison.Ordinal);
        Assert.Contains($"seq={fresh1[0]}:", line, StringComparison.Ordinal);
        Assert.EndsWith(@"line one\nline two 日本語 <b>&</b>", line, StringComparison.Ordinal);

        await using FollowerProcess backlog = await StartWatchAsync(scope, "reader", "--json", "--since", "0", "--no-cursor");
        Assert.Equal([.. old, .. fresh1], await ReadSeqsAsync(backlog, 3, scope.Timeout));
    }

    [Fact]
    public async Task Watch_prompt_format_tells_the_model_who_wrote_and_how_to_reply()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        await using FollowerProcess watch = await StartWatchAsync(scope, "reader", "--prompt");
        JsonElement receipt = await hub.CallAsync("send_message", new()
        {
            ["from_agent_id"] = "lead",
            ["to_agent_id"] = "reader",
            ["payload"] = "Is PR 12 safe?\nSay yes or no.",
            ["thread_id"] = "pr-12",
        });
        string id = receipt.GetProperty("message_id").GetString()!;

        string line = await watch.ReadLineAsync(scope.Timeout);
        Assert.Contains("from 'lead'", line, StringComparison.Ordinal);
        Assert.Contains($"message_id {id}", line, StringComparison.Ordinal);
        Assert.Contains("thread pr-12", line, StringComparison.Ordinal);
        Assert.Contains(@"Is PR 12 safe?\nSay yes or no.", line, StringComparison.Ordinal);
        Assert.Contains($"reply with message_id \"{id}\"", line, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Watch_with_the_token_reads_a_protected_mesh_and_without_it_says_what_to_set()
    {
        await using var scope = new MeshScope();
        const string token = "watch-test-token-0123456789";
        // This test is about the token, not agent identity (on by default with a token): nobody here presents a key.
        await using ServeProcess serve = await ServeProcess.StartAsync(scope, token, ServeProcess.IdentityOff);
        MeshNode sender = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_TOKEN"] = token, ["MESHFLEET_AGENT_IDENTITY"] = "off" });

        var refused = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "watch", "--agent", "reader", "--since", "0", "--no-cursor");
        Assert.Equal(2, refused.ExitCode);
        Assert.Contains("MESHFLEET_TOKEN", refused.Stderr, StringComparison.Ordinal);

        var withToken = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_TOKEN"] = token };
        await using FollowerProcess watch = await FollowerProcess.StartAsync(withToken, scope.Timeout, "watch", "--agent", "reader", "--json");
        List<long> sent = await SendAsync(sender, "reader", "secret hello");
        Assert.Equal(sent, await ReadSeqsAsync(watch, 1, scope.Timeout));
    }

    internal static Task<FollowerProcess> StartWatchAsync(MeshScope scope, string agent, params string[] extra) =>
        FollowerProcess.StartAsync(scope.Environment, scope.Timeout, ["watch", "--agent", agent, .. extra]);

    internal static async Task<List<long>> SendAsync(MeshNode node, string to, params string[] payloads)
    {
        var seqs = new List<long>();
        foreach (string payload in payloads)
        {
            JsonElement receipt = await node.SendAsync("sender", to, payload);
            seqs.Add(receipt.GetProperty("seq").GetInt64());
        }

        return seqs;
    }

    private static async Task<List<long>> ReadSeqsAsync(FollowerProcess watch, int count, CancellationToken timeout)
    {
        var seqs = new List<long>();
        for (int i = 0; i < count; i++)
        {
            using JsonDocument message = JsonDocument.Parse(await watch.ReadLineAsync(timeout));
            seqs.Add(message.RootElement.GetProperty("seq").GetInt64());
        }

        return seqs;
    }
}
