using System.Net;
using System.Net.Sockets;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Several stdio processes on one store is the normal case (one per client): the ones that do not get the port say so
/// in one calm info line, never as a failure with a stack trace.
/// </summary>
public sealed class PortRaceTests
{
    [Fact]
    public async Task Process_that_finds_the_port_taken_logs_one_info_line()
    {
        await using var scope = new MeshScope();
        using var holder = new TcpListener(IPAddress.Loopback, scope.Port);
        holder.Start();

        MeshNode node = await scope.StartNodeAsync();
        await node.SendAsync("a", "b", "MCP works without the port");
        string line = await WaitForLineAsync(node, $"Port {scope.Port} is taken", scope.Timeout);

        Assert.Contains(" info: ", line, StringComparison.Ordinal);
        AssertCalm(node);
        Assert.Single(node.Stderr, l => l.Contains($"Port {scope.Port}", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Processes_started_together_never_log_the_lost_race_as_a_failure()
    {
        await using var scope = new MeshScope();
        MeshNode[] nodes = await Task.WhenAll(Enumerable.Range(0, 3).Select(_ => scope.StartNodeAsync()));

        // Whichever way each lost (port seen taken, or bound by another between the probe and the bind), the losers say
        // so once: every node either logs that it listens or that the port is taken.
        await Task.WhenAll(nodes.Select(node => WaitForLineAsync(node, new[] { "SSE listening", $"Port {scope.Port} is taken" }, scope.Timeout)));
        Assert.Single(nodes, node => node.Listening.IsCompletedSuccessfully);
        foreach (MeshNode node in nodes)
        {
            AssertCalm(node);
            Assert.True(node.Stderr.Count(l => l.Contains($"Port {scope.Port} is taken", StringComparison.Ordinal)) <= 1);
        }
    }

    private static void AssertCalm(MeshNode node)
    {
        Assert.DoesNotContain(node.Stderr, l => l.Contains(" fail: ", StringComparison.Ordinal) || l.Contains(" warn: ", StringComparison.Ordinal));
        Assert.DoesNotContain(node.Stderr, l => l.Contains("Exception", StringComparison.Ordinal) || l.Contains("   at ", StringComparison.Ordinal));
    }

    private static Task<string> WaitForLineAsync(MeshNode node, string text, CancellationToken cancellationToken) =>
        WaitForLineAsync(node, [text], cancellationToken);

    /// <summary>Completes with the first line the process logs (or logged) holding one of <paramref name="texts"/>: stderr arrives asynchronously.</summary>
    private static async Task<string> WaitForLineAsync(MeshNode node, string[] texts, CancellationToken cancellationToken)
    {
        Task<string> first = await Task.WhenAny(texts.Select(node.StderrLineAsync)).WaitAsync(cancellationToken);
        return await first;
    }
}
