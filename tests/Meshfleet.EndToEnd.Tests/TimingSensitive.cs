using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Tests that report a latency run in this collection, after the parallel ones and one at a time, so the figure measures
/// Meshfleet and not the other tests competing for a 2-core machine.
/// </summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class TimingSensitive
{
    public const string Name = "Timing-sensitive";
}
