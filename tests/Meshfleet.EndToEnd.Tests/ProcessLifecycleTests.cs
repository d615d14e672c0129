using System.Diagnostics;
using System.Text.Json;
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

        Assert.Equal("ok", await scope.QueryStoreAsync("PRAGMA integrity_check"));
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

    [Theory]
    [InlineData("get_inbox")]
    [InlineData("ask")]
    public async Task Closing_stdin_during_a_pending_wait_exits_at_once_and_frees_the_port(string tool)
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartHubAsync();
        Dictionary<string, object?> arguments = tool == "ask"
            ? new() { ["from_agent_id"] = "asker", ["to_agent_id"] = "nobody", ["payload"] = "still there?", ["timeout_seconds"] = 600 }
            : new() { ["agent_id"] = "idle", ["wait_seconds"] = 300 };
        _ = node.Client.CallToolAsync(tool, arguments, cancellationToken: scope.Timeout).AsTask();

        // The request is written before the end of input, so the server reads it (and starts waiting) before it sees EOF.
        var stopwatch = Stopwatch.StartNew();
        node.CloseInput();
        await node.WaitForExitAsync(scope.Timeout);
        stopwatch.Stop();

        Assert.True(stopwatch.Elapsed < TimeSpan.FromSeconds(20), $"the process outlived its client by {stopwatch.Elapsed} while a {tool} was pending");
        Assert.Equal(0, node.ExitCode);
        using var rebind = new System.Net.Sockets.TcpListener(System.Net.IPAddress.Loopback, scope.Port);
        rebind.Start();
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
        CliRun version = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "--version");
        Assert.Equal(0, version.ExitCode);
        Assert.Matches(@"^\d+\.\d+\.\d+$", version.Stdout.Trim());

        CliRun help = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "--help");
        Assert.Equal(0, help.ExitCode);
        Assert.Contains("MESHFLEET_SSE_PORT", help.Stdout, StringComparison.Ordinal);
        Assert.Contains("MESHFLEET_DB", help.Stdout, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Unusable_paths_fail_with_one_line_and_no_stack_trace()
    {
        await using var scope = new MeshScope();
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", Path.Combine(scope.Directory, "missing", "ledger.jsonl"));
        Assert.Equal(1, export.ExitCode);
        Assert.Contains("ledger.jsonl", export.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", export.Stderr, StringComparison.Ordinal);

        Directory.CreateDirectory(Path.Combine(scope.Directory, "a-directory.db"));
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_DB"] = Path.Combine(scope.Directory, "a-directory.db") };
        CliRun server = await MeshfleetBinary.RunAsync(environment, scope.Timeout);
        Assert.Equal(1, server.ExitCode);
        Assert.Contains("MESHFLEET_DB", server.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain("   at ", server.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Demo_runs_an_orchestrator_and_two_specialists_end_to_end()
    {
        await using var scope = new MeshScope();
        CliRun demo = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "demo");
        Assert.True(demo.ExitCode == 0, demo.Stderr);
        Assert.Contains("orchestrator asks researcher", demo.Stdout, StringComparison.Ordinal);
        Assert.Contains("\"Yes, ship it.\"", demo.Stdout, StringComparison.Ordinal);
        Assert.Matches(@"p50 \d+\.\d+ ms", demo.Stdout);
    }

    [Fact]
    public async Task Bad_setting_fails_fast_naming_it()
    {
        await using var scope = new MeshScope();
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_SSE_PORT"] = "not-a-port" };
        CliRun run = await MeshfleetBinary.RunAsync(environment, scope.Timeout);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("MESHFLEET_SSE_PORT", run.Stderr, StringComparison.Ordinal);
    }
}
