using Microsoft.Extensions.Time.Testing;

namespace Meshfleet.Core.Tests;

/// <summary>
/// A fake clock whose wall clock can be stepped (an NTP correction, a resumed laptop) while its monotonic timestamp
/// and timers keep running with the underlying <see cref="FakeTimeProvider"/>.
/// </summary>
internal sealed class SteppingClock : TimeProvider
{
    private readonly FakeTimeProvider _inner;

    public SteppingClock(FakeTimeProvider inner)
    {
        _inner = inner;
    }

    /// <summary>How far the wall clock has been stepped away from the monotonic one.</summary>
    public TimeSpan Step { get; set; }

    public override DateTimeOffset GetUtcNow() => _inner.GetUtcNow() + Step;

    public override long GetTimestamp() => _inner.GetTimestamp();

    public override long TimestampFrequency => _inner.TimestampFrequency;

    public override TimeZoneInfo LocalTimeZone => _inner.LocalTimeZone;

    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period) =>
        _inner.CreateTimer(callback, state, dueTime, period);
}
