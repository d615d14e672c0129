using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Processes killed with SIGKILL in the middle of concurrent sends, again and again, with clients that retry through
/// another process using the same idempotency key: nothing acknowledged is lost, nothing is stored twice, the file stays sound.
/// </summary>
public sealed class CrashSafetyTests
{
    private readonly ITestOutputHelper _output;

    public CrashSafetyTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Sigkill_mid_burst_loses_no_acknowledged_send_and_keyed_retries_never_duplicate()
    {
        const int processes = 3;
        const int rounds = 9;
        // Large enough that the Native AOT build, with group commit, is still mid-burst when the kill lands.
        const int burst = 160;
        await using var scope = new MeshScope();
        MeshNode[] nodes = [await scope.StartHubAsync(), .. await Task.WhenAll(scope.StartNodeAsync(), scope.StartNodeAsync())];

        // What each key's client finally holds: the receipt of its first call, or of its retry when the first call died.
        var final = new Dictionary<string, Receipt>();
        int interrupted = 0;
        int committedBeforeKill = 0;
        var clock = Stopwatch.StartNew();
        for (int round = 0; round < rounds; round++)
        {
            int victimIndex = round % processes;
            MeshNode victim = nodes[victimIndex];
            var victimAcks = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int victimAckCount = 0;

            var calls = new List<Task<(string Key, string From, Receipt? Receipt)>>();
            for (int n = 0; n < processes; n++)
            {
                MeshNode node = nodes[n];
                string from = $"agent-{n}";
                for (int i = 0; i < burst; i++)
                {
                    string key = $"r{round}-p{n}-m{i}";
                    calls.Add(SendOrDieAsync(node, from, key, onAck: node != victim ? null : () =>
                    {
                        if (Interlocked.Increment(ref victimAckCount) == burst / 16)
                        {
                            victimAcks.TrySetResult();
                        }
                    }));
                }
            }

            // Kill once a sixteenth of the victim's burst is acknowledged: the rest is queued, in flight or half committed.
            await victimAcks.Task.WaitAsync(scope.Timeout);
            await victim.KillAsync();

            // The replacement starts while the round finishes, as a client would respawn its server at once.
            Task<MeshNode> restart = scope.StartNodeAsync();
            var results = await Task.WhenAll(calls).WaitAsync(scope.Timeout);

            // Every burst call has returned and nothing else sends: a retry that stores a new message gets a seq above
            // this head, so a retry answered at or below it returned the message its dead original committed.
            long head = await ReadHeadAsync(scope);
            MeshNode[] survivors = [.. nodes.Where(n => n != victim)];
            var failed = results.Where(r => r.Receipt is null).ToList();
            Assert.All(results.Where(r => r.Receipt is null), r => Assert.StartsWith($"r{round}-p{victimIndex}-", r.Key, StringComparison.Ordinal));
            interrupted += failed.Count;
            foreach ((string key, _, Receipt? receipt) in results.Where(r => r.Receipt is not null))
            {
                final.Add(key, receipt!);
            }

            for (int i = 0; i < failed.Count; i++)
            {
                (string key, string from, _) = failed[i];
                Receipt retried = Receipt.Of(await survivors[i % survivors.Length].SendAsync(from, "inbox", PayloadOf(key), key));
                committedBeforeKill += retried.Seq <= head ? 1 : 0;
                final.Add(key, retried);
            }

            // A client that timed out on a call that did succeed retries too: it must get the same message back.
            foreach ((string key, string from, Receipt? receipt) in results.Where(r => r.Receipt is not null).Take(3))
            {
                Assert.Equal(receipt, Receipt.Of(await survivors[0].SendAsync(from, "inbox", PayloadOf(key), key)));
            }

            nodes[victimIndex] = await restart;
        }

        TimeSpan elapsed = clock.Elapsed;
        var stored = await ReadLedgerAsync(scope);
        Assert.Equal(rounds * processes * burst, final.Count);
        Assert.Equal(final.Count, stored.Count);
        Assert.Equal(stored.Count, stored.Select(s => s.Receipt.MessageId).Distinct().Count());
        var byKey = stored.ToDictionary(s => s.Key);
        foreach ((string key, Receipt receipt) in final)
        {
            Assert.Equal((key, PayloadOf(key), receipt), byKey[key]);
        }

        Assert.True(interrupted > 0, "no send was in flight when its process was killed; the test exercised nothing");
        Assert.Equal("ok", await IntegrityAsync(scope));
        _output.WriteLine($"{rounds} SIGKILLs mid-burst in {elapsed.TotalSeconds:F1} s; {final.Count} sends acknowledged and stored once each");
        _output.WriteLine($"{interrupted} calls died with their process and were retried through another: {committedBeforeKill} had committed (the retry returned the original), {interrupted - committedBeforeKill} were stored by the retry");
    }

    [Fact]
    public async Task Send_retried_with_the_same_key_returns_the_first_message_and_stores_it_once()
    {
        await using var scope = new MeshScope();
        MeshNode first = await scope.StartHubAsync();
        MeshNode second = await scope.StartNodeAsync();

        Receipt original = Receipt.Of(await first.SendAsync("planner", "coder", "build it", "req-1"));
        Assert.Equal(original, Receipt.Of(await first.SendAsync("planner", "coder", "build it", "req-1")));
        Assert.Equal(original, Receipt.Of(await second.SendAsync("planner", "coder", "build it", "req-1")));

        // The key belongs to its sender: another agent using the same key sends its own message.
        Receipt other = Receipt.Of(await second.SendAsync("reviewer", "coder", "looks good", "req-1"));
        Assert.NotEqual(original.MessageId, other.MessageId);

        JsonElement inbox = await second.CallAsync("get_inbox", new() { ["agent_id"] = "coder" });
        Assert.Equal(
            [original.MessageId, other.MessageId],
            inbox.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("message_id").GetString()));
    }

    private static async Task<(string Key, string From, Receipt? Receipt)> SendOrDieAsync(MeshNode node, string from, string key, Action? onAck)
    {
        try
        {
            Receipt receipt = Receipt.Of(await node.SendAsync(from, "inbox", PayloadOf(key), key));
            onAck?.Invoke();
            return (key, from, receipt);
        }
        catch (IOException) when (onAck is not null)
        {
            // "The server shut down unexpectedly": only the victim's calls may fail, and only because it died.
            return (key, from, null);
        }
    }

    private static string PayloadOf(string key) => $"{{\"work\":\"{key}\"}}";

    private static SqliteConnection OpenReadOnly(MeshScope scope) => new($"Data Source={scope.DatabasePath};Mode=ReadOnly;Pooling=False");

    private static async Task<long> ReadHeadAsync(MeshScope scope) => (long)(await scope.QueryStoreAsync("SELECT COALESCE(MAX(seq), 0) FROM messages"))!;

    private static async Task<List<(string Key, string Payload, Receipt Receipt)>> ReadLedgerAsync(MeshScope scope)
    {
        await using SqliteConnection connection = OpenReadOnly(scope);
        await connection.OpenAsync(scope.Timeout);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "SELECT idempotency_key, payload, message_id, seq, timestamp FROM messages ORDER BY seq";
        await using SqliteDataReader reader = await command.ExecuteReaderAsync(scope.Timeout);
        var rows = new List<(string, string, Receipt)>();
        while (await reader.ReadAsync(scope.Timeout))
        {
            rows.Add((reader.GetString(0), reader.GetString(1), new Receipt(reader.GetString(2), reader.GetInt64(3), reader.GetInt64(4))));
        }

        return rows;
    }

    private static async Task<string> IntegrityAsync(MeshScope scope) => (string)(await scope.QueryStoreAsync("PRAGMA integrity_check"))!;
}
