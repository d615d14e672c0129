namespace Meshfleet.Cli;

/// <summary>Backoff between attempts to reach something that went away: doubles from a first delay up to a cap.</summary>
internal sealed class RetryPace(TimeSpan first, TimeSpan cap, TimeProvider time)
{
    /// <summary>Attempts that failed since the last success.</summary>
    public int Failures { get; private set; }

    public async Task WaitAsync(CancellationToken cancellationToken)
    {
        double factor = Math.Pow(2, Math.Min(Failures, 16));
        TimeSpan delay = TimeSpan.FromTicks((long)Math.Min(cap.Ticks, first.Ticks * factor));
        Failures++;
        await Task.Delay(delay, time, cancellationToken);
    }

    public void Reset() => Failures = 0;
}
