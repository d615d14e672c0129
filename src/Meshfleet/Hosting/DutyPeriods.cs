namespace Meshfleet.Hosting;

/// <summary>
/// How often the hosted services act, one named default per period. Not user settings: they trade latency for load
/// inside limits the rest of the system assumes (the duty lease's five-second TTL outlives several renewals; the
/// takeover probe bounds how long a stream is down after the port holder dies).
/// </summary>
internal sealed record DutyPeriods
{
    /// <summary>How often a process that does not hold the port checks whether the port freed (takeover latency).</summary>
    public TimeSpan TakeoverProbe { get; init; } = TimeSpan.FromMilliseconds(200);

    /// <summary>How often the store's token protection is checked, before taking the port and while holding it.</summary>
    public TimeSpan ProtectionCheck { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the push records of this process's streams are written to the store.</summary>
    public TimeSpan PushLogFlush { get; init; } = TimeSpan.FromMilliseconds(100);

    /// <summary>How often this process's stream counts (presence) are reported to the store.</summary>
    public TimeSpan PresenceReport { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the duty lease is renewed; well under <see cref="DutyLease.Ttl"/>.</summary>
    public TimeSpan LeaseRenewal { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the lease holder sweeps for fleet members gone offline.</summary>
    public TimeSpan WatchdogSweep { get; init; } = TimeSpan.FromSeconds(1);

    /// <summary>How often the lease holder redelivers unacknowledged messages that are due.</summary>
    public TimeSpan RedeliverySweep { get; init; } = TimeSpan.FromMilliseconds(200);
}
