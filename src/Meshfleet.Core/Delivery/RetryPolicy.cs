namespace Meshfleet.Core.Delivery;

/// <summary>
/// When to redeliver a message awaiting its ack: exponential backoff from <see cref="BaseDelay"/>, capped at
/// <see cref="MaxDelay"/>, with ±<see cref="Jitter"/> so many redeliveries do not fire together; after
/// <see cref="MaxAttempts"/> redeliveries the message is dead-lettered.
/// </summary>
public sealed record RetryPolicy
{
    public TimeSpan BaseDelay { get; init; } = TimeSpan.FromSeconds(1);

    public TimeSpan MaxDelay { get; init; } = TimeSpan.FromSeconds(60);

    public int MaxAttempts { get; init; } = 6;

    public double Jitter { get; init; } = 0.2;

    /// <summary>The delay before redelivery number <paramref name="attempt"/> (1-based): base, 2×base, 4×base… capped, jittered.</summary>
    public TimeSpan DelayBefore(int attempt, Random random)
    {
        double factor = Math.Pow(2, Math.Clamp(attempt - 1, 0, 30));
        double milliseconds = Math.Min(BaseDelay.TotalMilliseconds * factor, MaxDelay.TotalMilliseconds);
        double jittered = milliseconds * (1 + (Jitter * ((random.NextDouble() * 2) - 1)));
        return TimeSpan.FromMilliseconds(Math.Max(1, jittered));
    }
}
