using System.Diagnostics;
using HdrHistogram;

namespace Meshfleet.Bench.Measurement;

/// <summary>
/// Latencies in nanoseconds, kept by HdrHistogram (3 significant digits, up to 5 minutes). Safe to record from many threads.
/// </summary>
internal sealed class LatencyHistogram
{
    private static readonly long HighestTrackable = TimeSpan.FromMinutes(5).Ticks * 100;
    private readonly LongConcurrentHistogram _histogram = new(1, HighestTrackable, 3);

    public long Count => _histogram.TotalCount;

    /// <summary>Records the time between two <see cref="Stopwatch.GetTimestamp"/> readings; negative spans count as zero.</summary>
    public void RecordBetween(long startTimestamp, long endTimestamp)
    {
        long nanoseconds = (long)((endTimestamp - startTimestamp) * (1_000_000_000.0 / Stopwatch.Frequency));
        _histogram.RecordValue(Math.Clamp(nanoseconds, 1, HighestTrackable));
    }

    public LatencySummary Summarize() => _histogram.TotalCount == 0
        ? new LatencySummary(0, 0, 0, 0, 0)
        : new LatencySummary(
            _histogram.TotalCount,
            Milliseconds(_histogram.GetValueAtPercentile(50)),
            Milliseconds(_histogram.GetValueAtPercentile(99)),
            Milliseconds(_histogram.GetValueAtPercentile(99.9)),
            Milliseconds(_histogram.GetMaxValue()));

    private static double Milliseconds(long nanoseconds) => nanoseconds / 1_000_000.0;
}
