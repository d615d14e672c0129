namespace Meshfleet.Bench.Reporting;

/// <summary>A product target and what this run measured against it; <c>Met</c> is null when it could not be measured.</summary>
internal sealed record TargetCheck(string Target, string Measured, bool? Met);
