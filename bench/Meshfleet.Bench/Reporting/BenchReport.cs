namespace Meshfleet.Bench.Reporting;

/// <summary>Everything one run measured, as written by <c>--out FILE</c>.</summary>
internal sealed record BenchReport(
    DateTimeOffset Date,
    string Mode,
    string Binary,
    MachineInfo Machine,
    double DurationSeconds,
    IReadOnlyList<BenchResult> Results,
    IReadOnlyList<RatioLine> Ratios,
    IReadOnlyList<TargetCheck> Targets,
    IReadOnlyList<string> Unavailable);
