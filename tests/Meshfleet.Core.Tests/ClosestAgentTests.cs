using Meshfleet.Core.Agents;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>The "did you mean" hint for an unknown agent id.</summary>
public sealed class ClosestAgentTests
{
    [Theory]
    [InlineData("reveiwer", "reviewer")]
    [InlineData("Reviewer", "reviewer")]
    [InlineData("review", "reviewer")]
    [InlineData("coder-2", "coder")]
    public void Closest_known_id_is_found_by_edit_distance_ignoring_case(string typed, string expected) =>
        Assert.Equal(expected, ClosestAgent.Find(typed, ["orchestrator", "reviewer", "coder"]));

    [Fact]
    public void Nothing_is_suggested_when_no_id_is_close() =>
        Assert.Null(ClosestAgent.Find("database-migrator", ["reviewer", "coder"]));

    [Theory]
    [InlineData("", "abc", 3)]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("same", "same", 0)]
    public void Distance_counts_insertions_deletions_and_substitutions(string a, string b, int expected) =>
        Assert.Equal(expected, ClosestAgent.Distance(a, b));
}
