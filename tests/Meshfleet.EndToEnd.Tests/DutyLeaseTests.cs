using System.Globalization;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Two hubs on one store with different ports: one runs the store's sweeps, the other takes over when it stops.</summary>
public sealed class DutyLeaseTests
{
    private const string Runs = "runs the store's sweeps";
    private const string Leaves = "leaves the store's sweeps";

    [Fact]
    public async Task Only_one_of_two_hubs_on_one_store_runs_its_sweeps_and_the_other_takes_over_when_it_stops()
    {
        await using var scope = new MeshScope();
        MeshNode first = await scope.StartHubAsync();
        await first.StderrLineAsync(Runs).WaitAsync(scope.Timeout);

        var otherPort = new Dictionary<string, string> { ["MESHFLEET_SSE_PORT"] = MeshScope.FreePort().ToString(CultureInfo.InvariantCulture) };
        MeshNode second = await scope.StartNodeAsync(otherPort);
        await second.Listening.WaitAsync(scope.Timeout);

        // Both hold a port, and the second says who runs the sweeps instead of running them too.
        string leaves = await second.StderrLineAsync(Leaves).WaitAsync(scope.Timeout);
        Assert.Contains(first.Pid.ToString(CultureInfo.InvariantCulture), leaves, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Stderr, l => l.Contains(Runs, StringComparison.Ordinal));

        // A killed holder cannot release the lease: the second takes it over once it has gone unrenewed.
        await first.KillAsync();
        await second.StderrLineAsync(Runs).WaitAsync(scope.Timeout);
    }
}
