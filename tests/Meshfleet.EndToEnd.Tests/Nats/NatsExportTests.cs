using System.Text.Json.Nodes;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Storage.Nats.Tests;
using Meshfleet.Storage.Sqlite;
using Xunit;

namespace Meshfleet.EndToEnd.Tests.Nats;

/// <summary>Export and import go through the storage roles, so a mesh moves from a SQLite file to NATS and back unchanged.</summary>
public sealed class NatsExportTests : IAsyncLifetime
{
    private NatsServer? _nats;

    public async Task InitializeAsync() => _nats = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task A_sqlite_export_imported_into_nats_exports_again_with_the_same_records()
    {
        await using var scope = new MeshScope();
        await using (SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = scope.DatabasePath }, TimeProvider.System))
        {
            var directory = new SqliteAgentDirectory(store);
            await directory.UpsertFleetAsync("crew", "d", 300, 45, scope.Timeout);
            await directory.UpsertAgentAsync(new AgentProfile("lead", "Lead", "orchestrator", null, "crew"), 1_000, scope.Timeout);
            MeshMessage first = (await store.AppendAsync(new MessageDraft("msg_n1", "lead", "dev", "ready?", 1_763_942_400_000, ThreadId: "t"), scope.Timeout)).Message;
            MeshMessage second = (await store.AppendAsync(new MessageDraft("msg_n2", "dev", "lead", "ready", 1_763_942_400_001, ReplyTo: first.MessageId, AckDueAt: 9_000), scope.Timeout)).Message;
            var ledger = new SqliteDeliveryLedger(store);
            await ledger.RecordPushesAsync([new PushRecord(first.MessageId, first.Seq, "lead", "dev", 1, 2_000)], scope.Timeout);
            await ledger.AckAsync("lead", second.MessageId, 2_500, scope.Timeout);
        }

        string fromSqlite = Path.Combine(scope.Directory, "sqlite.jsonl");
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", fromSqlite);
        Assert.True(export.ExitCode == 0, export.Stderr);

        var nats = new Dictionary<string, string>(scope.Environment)
        {
            ["MESHFLEET_NATS_URL"] = _nats!.Url,
            ["MESHFLEET_NATS_MESH"] = "exim" + Guid.NewGuid().ToString("N")[..10],
        };
        CliRun import = await MeshfleetBinary.RunAsync(nats, scope.Timeout, "import", fromSqlite);
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains("imported 2 new messages (0 already present), 1 agents, 1 fleets, 2 delivery records", import.Stderr, StringComparison.Ordinal);

        string fromNats = Path.Combine(scope.Directory, "nats.jsonl");
        CliRun again = await MeshfleetBinary.RunAsync(nats, scope.Timeout, "export", "--out", fromNats);
        Assert.True(again.ExitCode == 0, again.Stderr);

        Assert.Equal(await RecordsAsync(fromSqlite, scope), await RecordsAsync(fromNats, scope));
        Assert.Contains("\"backend\":\"nats\"", (await File.ReadAllLinesAsync(fromNats, scope.Timeout))[0], StringComparison.Ordinal);
    }

    /// <summary>Every record but the header, without the seqs (each store numbers its own).</summary>
    private static async Task<string[]> RecordsAsync(string path, MeshScope scope) =>
        [.. (await File.ReadAllLinesAsync(path, scope.Timeout)).Skip(1).Select(line =>
        {
            JsonObject record = JsonNode.Parse(line)!.AsObject();
            record.Remove("seq");
            return record.ToJsonString();
        })];
}
