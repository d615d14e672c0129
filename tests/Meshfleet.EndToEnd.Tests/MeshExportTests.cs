using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Storage.Sqlite;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The whole mesh through real <c>meshfleet export</c> and <c>meshfleet import</c> processes: fleets, agents with their
/// presence facts, messages and delivery state arrive in a fresh store; old and newer files are handled as documented.
/// </summary>
public sealed class MeshExportTests
{
    [Fact]
    public async Task Export_then_import_into_a_fresh_store_carries_messages_agents_fleets_and_delivery_state()
    {
        await using var scope = new MeshScope();
        await using (SqliteMessageStore store = Open(scope.DatabasePath))
        {
            var directory = new SqliteAgentDirectory(store);
            var ledger = new SqliteDeliveryLedger(store);
            await directory.UpsertFleetAsync("pr-12", "review crew", 300, 45, scope.Timeout);
            await directory.UpsertFleetAsync("bare", null, null, null, scope.Timeout);
            await directory.UpsertAgentAsync(new AgentProfile("lead", "Lead", "orchestrator", "plans", "pr-12"), 1_000, scope.Timeout);
            await directory.UpsertAgentAsync(new AgentProfile("dev", null, "coder", null, "pr-12"), 1_100, scope.Timeout);
            await directory.RecordStreamsAsync(new Dictionary<string, int> { ["dev"] = 2 }, 1_200, scope.Timeout);
            await directory.MarkOfflineReportedAsync("lead", 1_300, scope.Timeout);
            MeshMessage question = (await store.AppendAsync(Draft("m1", "lead", "dev", "ready? \"quoted\" 世界") with { ThreadId = "t1" }, scope.Timeout)).Message;
            MeshMessage tracked = (await store.AppendAsync(Draft("m2", "dev", "lead", "ready") with { ReplyTo = question.MessageId, AckDueAt = 9_000 }, scope.Timeout)).Message;
            MeshMessage pending = (await store.AppendAsync(Draft("m3", "lead", "dev", "ack me") with { AckDueAt = 9_500 }, scope.Timeout)).Message;
            await ledger.RecordPushesAsync([new PushRecord(question.MessageId, question.Seq, "lead", "dev", 2, 2_000)], scope.Timeout);
            await ledger.RecordReadAsync([question, tracked], 2_100, scope.Timeout);
            await ledger.AckAsync("lead", tracked.MessageId, 2_200, scope.Timeout);
            await ledger.RecordAttemptAsync(pending.MessageId, 1, 12_000, null, scope.Timeout);
        }

        string file = Path.Combine(scope.Directory, "mesh.jsonl");
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", file);
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains("exported 3 messages, 2 agents, 2 fleets, 3 delivery records", export.Stderr, StringComparison.Ordinal);

        string copy = Path.Combine(scope.Directory, "copy.db");
        var toCopy = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_DB"] = copy };
        CliRun import = await MeshfleetBinary.RunAsync(toCopy, scope.Timeout, "import", file);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains("imported 3 new messages (0 already present), 2 agents, 2 fleets, 3 delivery records", import.Stderr, StringComparison.Ordinal);

        (MeshMessage[] messages, AgentRow[] agents, Fleet[] fleets, DeliveryRow[] deliveries) source = await ReadMeshAsync(scope.DatabasePath, scope);
        (MeshMessage[] messages, AgentRow[] agents, Fleet[] fleets, DeliveryRow[] deliveries) copied = await ReadMeshAsync(copy, scope);
        Assert.Equal(source.messages.Select(m => m with { Seq = 0 }), copied.messages.Select(m => m with { Seq = 0 }));
        Assert.Equal(source.fleets, copied.fleets);

        // Stream counts belonged to the exporting processes: nobody holds a stream of the fresh store yet.
        Assert.Equal(source.agents.Select(a => a with { Streams = 0 }), copied.agents);
        Assert.Equal(2, source.agents.Single(a => a.Profile.AgentId == "dev").Streams);
        Dictionary<string, long> newSeq = copied.messages.ToDictionary(m => m.MessageId, m => m.Seq);
        Assert.Equal(source.deliveries.Select(d => d with { Seq = newSeq[d.MessageId] }), copied.deliveries);
        Assert.Equal(3, copied.deliveries.Length);

        CliRun again = await MeshfleetBinary.RunAsync(toCopy, scope.Timeout, "import", file);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains("imported 0 new messages (3 already present), 0 agents, 0 fleets, 0 delivery records", again.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_old_message_only_export_still_imports()
    {
        await using var scope = new MeshScope();
        string file = Path.Combine(scope.Directory, "old.jsonl");
        await File.WriteAllLinesAsync(
            file,
            [
                """{"message_id":"msg_old_1","seq":7,"from_agent_id":"a","to_agent_id":"b","payload":"hello","timestamp":1763942400000}""",
                "",
                """{"message_id":"msg_old_2","seq":9,"from_agent_id":"b","to_agent_id":"a","payload":"hi","timestamp":1763942400001,"thread_id":"t","reply_to":"msg_old_1"}""",
            ],
            scope.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "import", file);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("imported 2 new messages (0 already present)", run.Stderr, StringComparison.Ordinal);
        MeshMessage[] stored = (await ReadMeshAsync(scope.DatabasePath, scope)).Messages;
        Assert.Equal(
            [new MeshMessage("msg_old_1", 0, "a", "b", "hello", 1763942400000), new MeshMessage("msg_old_2", 0, "b", "a", "hi", 1763942400001, "t", "msg_old_1")],
            stored.Select(m => m with { Seq = 0 }));
    }

    [Fact]
    public async Task A_file_of_a_newer_format_version_is_refused_and_nothing_is_imported()
    {
        await using var scope = new MeshScope();
        string file = Path.Combine(scope.Directory, "newer.jsonl");
        await File.WriteAllLinesAsync(
            file,
            [
                """{"type":"header","format":"meshfleet-export","version":2,"exported_at":1,"store_id":"x","backend":"sqlite"}""",
                """{"type":"message","message_id":"msg_new","seq":1,"from_agent_id":"a","to_agent_id":"b","payload":"p","timestamp":1}""",
            ],
            scope.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "import", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("export format version 2, written by a newer meshfleet; this one reads versions up to 1", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Empty((await ReadMeshAsync(scope.DatabasePath, scope)).Messages);
    }

    [Fact]
    public async Task A_damaged_line_is_named_by_its_number_and_the_records_before_it_are_kept()
    {
        await using var scope = new MeshScope();
        string file = Path.Combine(scope.Directory, "damaged.jsonl");
        await File.WriteAllLinesAsync(
            file,
            [
                """{"type":"header","format":"meshfleet-export","version":1,"exported_at":1,"store_id":"x","backend":"sqlite"}""",
                """{"type":"message","message_id":"msg_ok","seq":1,"from_agent_id":"a","to_agent_id":"b","payload":"p","timestamp":1}""",
                """{"type":"agent","agent_id":"a","registered_at":"yesterday"}""",
                """{"type":"message","message_id":"msg_after","seq":2,"from_agent_id":"a","to_agent_id":"b","payload":"q","timestamp":2}""",
            ],
            scope.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "import", file);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains($"line 3 of {file}: not a valid agent record", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
        Assert.Equal(["msg_ok"], (await ReadMeshAsync(scope.DatabasePath, scope)).Messages.Select(m => m.MessageId));
    }

    private static MessageDraft Draft(string id, string from, string to, string payload) =>
        new("msg_" + id, from, to, payload, 1_763_942_400_000 + id.Length);

    private static SqliteMessageStore Open(string path) => SqliteMessageStore.Open(new SqliteStoreOptions { Path = path }, TimeProvider.System);

    private static async Task<(MeshMessage[] Messages, AgentRow[] Agents, Fleet[] Fleets, DeliveryRow[] Deliveries)> ReadMeshAsync(string path, MeshScope scope)
    {
        await using SqliteMessageStore store = Open(path);
        return (
            [.. await store.ReadAfterAsync(0, 1000, scope.Timeout)],
            [.. await new SqliteAgentDirectory(store).ListAgentsAsync(null, scope.Timeout)],
            [.. await new SqliteAgentDirectory(store).ListFleetsAsync(scope.Timeout)],
            [.. await new SqliteDeliveryLedger(store).ListDeliveriesAsync(0, 1000, scope.Timeout)]);
    }
}
