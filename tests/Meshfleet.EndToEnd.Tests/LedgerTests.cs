using System.Diagnostics;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.Json.Serialization;
using Meshfleet.Core.Messaging;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>The ledger on disk through the real executable: export, import, and stores it must refuse.</summary>
public sealed class LedgerTests
{
    // The wire shape, read independently of the product's own serializer; an unknown field fails the read.
    private static readonly JsonSerializerOptions Wire = new()
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow,
    };

    private readonly ITestOutputHelper _output;

    public LedgerTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Export_then_import_of_100000_messages_round_trips_every_message_and_reimport_adds_nothing()
    {
        const int count = 100_000;
        await using var scope = new MeshScope();
        List<MeshMessage> source = MakeMessages(count);
        var clock = Stopwatch.StartNew();
        await using (SqliteMessageStore store = OpenStore(scope.DatabasePath))
        {
            foreach (MeshMessage[] batch in source.Chunk(10_000))
            {
                Assert.Equal(batch.Length, await store.ImportAsync(batch, scope.Timeout));
            }
        }

        TimeSpan filled = clock.Elapsed;
        List<MeshMessage> stored = await ReadAllAsync(scope.DatabasePath, scope);
        Assert.Equal(source, stored.Select(m => m with { Seq = 0 }));

        string exportFile = Path.Combine(scope.Directory, "ledger.jsonl");
        clock.Restart();
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", exportFile);
        TimeSpan exported = clock.Elapsed;
        Assert.True(export.ExitCode == 0, export.Stderr);
        Assert.Contains($"exported {count} messages", export.Stderr, StringComparison.Ordinal);
        string[] lines = await File.ReadAllLinesAsync(exportFile, scope.Timeout);
        Assert.Equal(count + 1, lines.Length);
        Assert.StartsWith("{\"type\":\"header\",\"format\":\"meshfleet-export\",\"version\":1,", lines[0], StringComparison.Ordinal);
        for (int i = 0; i < count; i++)
        {
            // A message line is the message's wire shape with "type":"message" in front.
            JsonObject line = JsonNode.Parse(lines[i + 1])!.AsObject();
            Assert.Equal("message", (string?)line["type"]);
            line.Remove("type");
            Assert.Equal(stored[i], line.Deserialize<MeshMessage>(Wire));
        }

        string copy = Path.Combine(scope.Directory, "copy.db");
        var toCopy = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_DB"] = copy };
        clock.Restart();
        CliRun import = await MeshfleetBinary.RunAsync(toCopy, scope.Timeout, "import", exportFile);
        TimeSpan imported = clock.Elapsed;
        Assert.True(import.ExitCode == 0, import.Stderr);
        Assert.Contains($"imported {count} new messages (0 already present)", import.Stderr, StringComparison.Ordinal);

        // Import keeps ids, order and content and gives new seqs (here 1..n again, because the copy started empty).
        List<MeshMessage> copied = await ReadAllAsync(copy, scope);
        Assert.Equal(stored.Select(m => m with { Seq = 0 }), copied.Select(m => m with { Seq = 0 }));
        Assert.True(copied.Zip(copied.Skip(1)).All(p => p.First.Seq < p.Second.Seq), "imported seqs must increase in file order");

        CliRun again = await MeshfleetBinary.RunAsync(toCopy, scope.Timeout, "import", exportFile);
        Assert.True(again.ExitCode == 0, again.Stderr);
        Assert.Contains($"imported 0 new messages ({count} already present)", again.Stderr, StringComparison.Ordinal);
        Assert.Equal(copied, await ReadAllAsync(copy, scope));

        _output.WriteLine($"{count} messages: filled in {filled.TotalSeconds:F1} s, export {exported.TotalSeconds:F1} s ({new FileInfo(exportFile).Length / 1024 / 1024} MiB), import {imported.TotalSeconds:F1} s");
    }

    [Fact]
    public async Task Import_of_a_malformed_line_fails_naming_the_line_and_keeps_the_lines_before_it()
    {
        await using var scope = new MeshScope();
        List<MeshMessage> good = MakeMessages(2);
        string file = Path.Combine(scope.Directory, "broken.jsonl");
        await File.WriteAllLinesAsync(
            file,
            [.. good.Select(m => JsonSerializer.Serialize(m with { Seq = 1 }, Wire)), "{\"message_id\":\"msg_x\",\"seq\":3,", "{}"],
            scope.Timeout);

        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "import", file);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("line 3", run.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(run.Stderr);
        Assert.Equal(good, (await ReadAllAsync(scope.DatabasePath, scope)).Select(m => m with { Seq = 0 }));
    }

    [Theory]
    [InlineData("serve-stdio")]
    [InlineData("serve")]
    [InlineData("export")]
    [InlineData("import")]
    public async Task Store_from_a_newer_meshfleet_is_refused_naming_its_version_and_left_untouched(string command)
    {
        await using var scope = new MeshScope();
        await using (SqliteMessageStore store = OpenStore(scope.DatabasePath))
        {
            await store.ImportAsync(MakeMessages(1), scope.Timeout);
        }

        await SetUserVersionAsync(scope.DatabasePath, 99, scope.Timeout);
        string file = Path.Combine(scope.Directory, "empty.jsonl");
        await File.WriteAllTextAsync(file, string.Empty, scope.Timeout);
        string[] arguments = command switch
        {
            "export" => ["export", "--out", Path.Combine(scope.Directory, "out.jsonl")],
            "import" => ["import", file],
            "serve" => ["serve"],
            _ => [],
        };

        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, arguments);

        Assert.NotEqual(0, run.ExitCode);
        Assert.Contains("schema version 99", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("newer Meshfleet", run.Stderr, StringComparison.Ordinal);
        AssertNoStackTrace(run.Stderr);
        Assert.Equal(99, await ReadUserVersionAsync(scope.DatabasePath, scope.Timeout));
    }

    private static void AssertNoStackTrace(string stderr)
    {
        Assert.DoesNotContain("Unhandled exception", stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", stderr, StringComparison.Ordinal);
    }

    /// <summary>Messages that exercise the encoder: quotes, backslashes, newlines, non-ASCII, JSON payloads, optional fields.</summary>
    private static List<MeshMessage> MakeMessages(int count)
    {
        var random = new Random(7);
        string[] agents = ["planner", "coder", "reviewer.1", "tester_2", "ops-3"];
        string[] payloads = ["plain", "line one\nline \"two\"", "back\\slash\ttab", "Grüße, 世界 🚀", "{\"task\":\"review\",\"pr\":12}", "</script>&<>'"];
        var messages = new List<MeshMessage>(count);
        var builder = new StringBuilder();
        for (int i = 0; i < count; i++)
        {
            builder.Clear().Append(payloads[random.Next(payloads.Length)]).Append(' ').Append(i);
            if (i % 1000 == 0)
            {
                builder.Append(new string('x', 4000));
            }

            messages.Add(new MeshMessage(
                MessageId: $"msg_{i:D8}_{random.Next():x8}",
                Seq: 0,
                FromAgentId: agents[random.Next(agents.Length)],
                ToAgentId: agents[random.Next(agents.Length)],
                Payload: builder.ToString(),
                Timestamp: 1_763_942_400_000 + i,
                ThreadId: i % 3 == 0 ? $"t-{i / 30}" : null,
                ReplyTo: i % 5 == 0 && i > 0 ? $"msg_{i - 1:D8}" : null));
        }

        return messages;
    }

    private static SqliteMessageStore OpenStore(string path) =>
        SqliteMessageStore.Open(new SqliteStoreOptions { Path = path }, TimeProvider.System);

    private static async Task<List<MeshMessage>> ReadAllAsync(string path, MeshScope scope)
    {
        await using SqliteMessageStore store = OpenStore(path);
        var all = new List<MeshMessage>();
        while (true)
        {
            IReadOnlyList<MeshMessage> page = await store.ReadAfterAsync(all.Count > 0 ? all[^1].Seq : 0, 10_000, scope.Timeout);
            if (page.Count == 0)
            {
                return all;
            }

            all.AddRange(page);
        }
    }

    private static async Task SetUserVersionAsync(string path, int version, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Pooling=False");
        await connection.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = $"PRAGMA user_version = {version}";
        await command.ExecuteNonQueryAsync(cancellationToken);
    }

    private static async Task<long> ReadUserVersionAsync(string path, CancellationToken cancellationToken)
    {
        await using var connection = new SqliteConnection($"Data Source={path};Mode=ReadOnly;Pooling=False");
        await connection.OpenAsync(cancellationToken);
        await using SqliteCommand command = connection.CreateCommand();
        command.CommandText = "PRAGMA user_version";
        return (long)(await command.ExecuteScalarAsync(cancellationToken))!;
    }
}
