using System.Diagnostics;
using Meshfleet.Core.Messaging;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// A store the real executable cannot use: the cause and the fix reach the user, and a stdio process stays an MCP
/// server that says so on every tool call instead of a client's bare "Connection closed".
/// </summary>
public sealed class StoreTroubleTests
{
    [Fact]
    public async Task Stdio_process_on_a_foreign_file_completes_the_handshake_and_every_tool_call_says_why()
    {
        await using var scope = new MeshScope();
        await File.WriteAllTextAsync(scope.DatabasePath, string.Concat(Enumerable.Repeat("my notes, not a store. ", 300)), scope.Timeout);

        MeshNode node = await scope.StartNodeAsync();

        IList<McpClientTool> tools = await node.Client.ListToolsAsync(cancellationToken: scope.Timeout);
        Assert.Contains(tools, t => t.Name == "send_message");
        foreach ((string tool, Dictionary<string, object?> arguments) in new (string, Dictionary<string, object?>)[]
        {
            ("send_message", new() { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = "hi" }),
            ("get_inbox", new() { ["agent_id"] = "b" }),
            ("register_agent", new() { ["agent_id"] = "a" }),
            ("list_agents", new()),
        })
        {
            string error = await node.CallExpectingErrorAsync(tool, arguments);
            Assert.Contains("is not a SQLite database", error, StringComparison.Ordinal);
            Assert.Contains(scope.DatabasePath, error, StringComparison.Ordinal);
            Assert.Contains("MESHFLEET_DB", error, StringComparison.Ordinal);
        }

        Assert.Contains(node.Stderr, line => line.Contains("is not a SQLite database", StringComparison.Ordinal));
        Assert.StartsWith("my notes", await File.ReadAllTextAsync(scope.DatabasePath, scope.Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Store_that_cannot_grow_fails_a_send_with_the_cause_and_the_store_path_not_an_exception_name()
    {
        await using var scope = new MeshScope();

        // A file-size limit (SIGXFSZ ignored, so the write fails instead of killing the process) fills the "disk" for
        // this process alone, deterministically and without privileges.
        var start = new ProcessStartInfo("bash") { RedirectStandardInput = true, RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in new[] { "-c", "trap '' XFSZ; ulimit -f 200; exec \"$0\"", MeshfleetBinary.Path })
        {
            start.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in scope.Environment)
        {
            start.Environment[key] = value;
        }

        // A JIT build maps its code through a file that the size limit would refuse (the AOT build has none).
        start.Environment["DOTNET_EnableWriteXorExecute"] = "0";
        using Process process = Process.Start(start)!;
        process.BeginErrorReadLine();
        try
        {
            await using McpClient client = await McpClient.CreateAsync(
                new StreamClientTransport(serverInput: process.StandardInput.BaseStream, serverOutput: process.StandardOutput.BaseStream),
                cancellationToken: scope.Timeout);
            string payload = new('x', 8000);
            CallToolResult? failed = null;
            int stored = 0;
            for (int i = 0; i < 100 && failed is null; i++)
            {
                CallToolResult result = await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = payload }, cancellationToken: scope.Timeout);
                if (result.IsError == true)
                {
                    failed = result;
                }
                else
                {
                    stored++;
                }
            }

            Assert.NotNull(failed);
            string text = string.Concat(failed.Content.OfType<TextContentBlock>().Select(c => c.Text));
            Assert.Contains(scope.DatabasePath, text, StringComparison.Ordinal);
            Assert.Contains("free space", text, StringComparison.OrdinalIgnoreCase);
            Assert.DoesNotContain("SqliteException", text, StringComparison.Ordinal);

            CallToolResult inbox = await client.CallToolAsync("get_inbox", new Dictionary<string, object?> { ["agent_id"] = "b", ["limit"] = 500 }, cancellationToken: scope.Timeout);
            Assert.Equal(stored, inbox.StructuredContent!.Value.GetProperty("messages").GetArrayLength());
        }
        finally
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(10)))
            {
                process.Kill();
            }
        }
    }

    [Theory]
    [InlineData("serve")]
    [InlineData("stdio")]
    [InlineData("export")]
    public async Task Damaged_page_is_reported_at_start_with_the_fix_not_as_a_path_problem(string command)
    {
        await using var scope = new MeshScope();
        await using (SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = scope.DatabasePath }, TimeProvider.System))
        {
            for (int i = 0; i < 400; i++)
            {
                await store.AppendAsync(new MessageDraft($"msg_{i:D8}", "a", "b", $"message {i} " + new string('x', 500), 1), scope.Timeout);
            }
        }

        SqliteConnection.ClearAllPools();
        // Damage the headers of pages 12-28 (b-tree page type, cell count): whichever tables sit there as the schema
        // grows, quick_check must find them. Damage inside a page's unused space alone would be harmless, and not seen.
        await using (FileStream file = File.OpenWrite(scope.DatabasePath))
        {
            for (int page = 12; page <= 28; page++)
            {
                file.Position = page * 4096L;
                await file.WriteAsync(Enumerable.Repeat((byte)0xA5, 64).ToArray(), scope.Timeout);
            }
        }

        string[] arguments = command switch
        {
            "serve" => ["serve"],
            "export" => ["export", "--out", Path.Combine(scope.Directory, "out.jsonl")],
            _ => [],
        };
        CliRun run = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, arguments);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("store is damaged", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("quick_check", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("meshfleet import", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("permissions", run.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", run.Stderr, StringComparison.Ordinal);
    }
}
