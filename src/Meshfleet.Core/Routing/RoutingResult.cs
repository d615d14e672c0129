namespace Meshfleet.Core.Routing;

/// <summary>
/// What <c>find_agents</c> returns: agents best first, the model that ranked them, and whether the best one fits well
/// (<c>good_match</c>: its score reaches <c>threshold</c>); <c>note</c> says in words when nothing fits.
/// </summary>
public sealed record RoutingResult(
    IReadOnlyList<RankedAgent> Agents,
    string Model,
    bool GoodMatch,
    double Threshold,
    string? Note);
