namespace Meshfleet.Bench.Measurement;

/// <summary>Percentiles of a latency distribution, in milliseconds.</summary>
internal sealed record LatencySummary(long Count, double P50, double P99, double P999, double Max);
