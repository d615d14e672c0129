using System.Diagnostics;
using System.Text.Json;
using Microsoft.Data.Sqlite;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Start, stop and crash the real executable.</summary>
public sealed class ProcessLifecycleTests
{
    [Fact]
    public async Task Killed_server_loses_no_acknowledged_message()
    {
        await using var scope = new MeshScope();
        MeshNode first = await scope.StartHubAsync();
        var acknowledged = new List<long>();
        for (int i = 0; i < 200; i++)
        {
            acknowledged.Add((await first.SendAsync("a", "b", $"durable {i}")).GetProperty("seq").GetInt64());
        }

        using Process victim = Process.GetProcessById(await scope.HubPidAsync());
        victim.Kill();
        await victim.WaitForExitAsync(scope.Timeout);

        MeshNode second = await scope.StartNodeAsync();
        JsonElement inbox = await second.CallAsync("get_inbox", new() { ["agent_id"] = "b", ["limit"] = 1000 });
        Assert.Equal(acknowledged, inbox.GetProperty("messages").EnumerateArray().Select(m => m.GetProperty("seq").GetInt64()));

        await using var connection = new SqliteConnection($"Data Source={scope.DatabasePath};Mode=ReadOnly");
        await connection.OpenAsync(scope.Timeout);
        await using SqliteCommand check = connection.CreateCommand();
        check.CommandText = "PRAGMA integrity_check";
        Assert.Equal("ok", await check.ExecuteScalarAsync(scope.Timeout));
    }

    [Fact]
    public async Task Stdin_eof_stops_the_server_cleanly()
    {
        await using var scope = new MeshScope();
        using Process process = Process.Start(MeshfleetBinary.StartInfo(scope.Environment))!;
        Task<string> stderr = process.StandardError.ReadToEndAsync(scope.Timeout);
        process.StandardInput.Close();
        await process.WaitForExitAsync(scope.Timeout);
        Assert.Equal(0, process.ExitCode);
        Assert.DoesNotContain("Exception", await stderr, StringComparison.Ordinal);
        Assert.Equal(string.Empty, await process.StandardOutput.ReadToEndAsync(scope.Timeout));
    }

    [Fact]
    public async Task Sigterm_stops_the_server_cleanly_with_an_open_stream()
    {
        await using var scope = new MeshScope();
        using Process process = Process.Start(MeshfleetBinary.StartInfo(scope.Environment))!;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("SSE listening", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        await listening.Task.WaitAsync(scope.Timeout);
        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));

        var stopwatch = Stopwatch.StartNew();
        using (Process kill = Process.Start("kill", ["-TERM", process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]))
        {
            await kill.WaitForExitAsync(scope.Timeout);
        }

        await process.WaitForExitAsync(scope.Timeout);
        Assert.Equal(0, process.ExitCode);
        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(10), $"shutdown took {stopwatch.Elapsed}");
    }

    [Fact]
    public async Task Version_and_help_print_and_exit()
    {
        await using var scope = new MeshScope();
        using Process version = Process.Start(MeshfleetBinary.StartInfo(scope.Environment, "--version"))!;
        string printed = (await version.StandardOutput.ReadToEndAsync(scope.Timeout)).Trim();
        await version.WaitForExitAsync(scope.Timeout);
        Assert.Matches(@"^\d+\.\d+\.\d+$", printed);

        using Process help = Process.Start(MeshfleetBinary.StartInfo(scope.Environment, "--help"))!;
        string text = await help.StandardOutput.ReadToEndAsync(scope.Timeout);
        await help.WaitForExitAsync(scope.Timeout);
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("MESHFLEET_SSE_PORT", text, StringComparison.Ordinal);
        Assert.Contains("MESHFLEET_DB", text, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unusable_paths_fail_with_one_line_and_no_stack_trace()
    {
        await using var scope = new MeshScope();
        using Process export = Process.Start(MeshfleetBinary.StartInfo(scope.Environment, "export", "--out", Path.Combine(scope.Directory, "missing", "ledger.jsonl")))!;
        string exportError = await export.StandardError.ReadToEndAsync(scope.Timeout);
        await export.WaitForExitAsync(scope.Timeout);
        Assert.Equal(1, export.ExitCode);
        Assert.Contains("ledger.jsonl", exportError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", exportError, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(scope.Directory, "a-directory.db"));
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_DB"] = Path.Combine(scope.Directory, "a-directory.db") };
        using Process server = Process.Start(MeshfleetBinary.StartInfo(environment))!;
        string serverError = await server.StandardError.ReadToEndAsync(scope.Timeout);
        await server.WaitForExitAsync(scope.Timeout);
        Assert.Equal(1, server.ExitCode);
        Assert.Contains("MESHFLEET_DB", serverError, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", serverError, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_setting_fails_fast_naming_it()
    {
        await using var scope = new MeshScope();
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_SSE_PORT"] = "not-a-port" };
        using Process process = Process.Start(MeshfleetBinary.StartInfo(environment))!;
        string stderr = await process.StandardError.ReadToEndAsync(scope.Timeout);
        await process.WaitForExitAsync(scope.Timeout);
        Assert.Equal(2, process.ExitCode);
        Assert.Contains("MESHFLEET_SSE_PORT", stderr, StringComparison.Ordinal);
    }
}
