using System.Globalization;
using Meshfleet.Core.Storage;

namespace Meshfleet.Hosting;

/// <summary>
/// Which process runs the store's sweeps (the watchdog and redelivery). Processes on one store but different ports each
/// hold a port; only the holder of this lease, a row in the store's meta table, sweeps, so fleets get one offline
/// notice and messages one schedule. The holder renews it every second; another hub takes it over once it has seen the
/// same lease unrenewed for <see cref="Ttl"/> on its own monotonic clock (or the lease's wall-clock expiry passed), so
/// a clock step neither keeps a dead holder's lease alive nor hands out a live one for long.
/// </summary>
internal sealed class DutyLease
{
    /// <summary>How long an unrenewed lease stays with its holder.</summary>
    public static readonly TimeSpan Ttl = TimeSpan.FromSeconds(5);

    private const string Key = "duty_lease";
    private readonly IStoreMeta _meta;
    private readonly TimeProvider _time;
    private readonly string _owner = $"{Environment.ProcessId}/{Guid.NewGuid():N}";
    private string? _observed;
    private long _observedAt;

    public DutyLease(IStoreMeta meta, TimeProvider time)
    {
        _meta = meta;
        _time = time;
    }

    /// <summary>True while this process holds the lease and runs the sweeps.</summary>
    public bool IsHeld { get; private set; }

    /// <summary>The process id of the lease's holder as last seen, or null.</summary>
    public string? HolderPid { get; private set; }

    /// <summary>Renews the lease when this process holds it, takes it when it is free or expired; returns <see cref="IsHeld"/>.</summary>
    public async ValueTask<bool> RenewAsync(CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        string? current = await _meta.GetAsync(Key, cancellationToken).ConfigureAwait(false);
        if (current is not null && !current.StartsWith(_owner + " ", StringComparison.Ordinal) && !Expired(current, now))
        {
            HolderPid = current.Split('/')[0];
            IsHeld = false;
            return false;
        }

        string next = string.Create(CultureInfo.InvariantCulture, $"{_owner} {now + (long)Ttl.TotalMilliseconds}");
        IsHeld = await _meta.TryReplaceAsync(Key, current, next, cancellationToken).ConfigureAwait(false);
        HolderPid = IsHeld ? Environment.ProcessId.ToString(CultureInfo.InvariantCulture) : HolderPid;
        return IsHeld;
    }

    /// <summary>Gives the lease up (on shutdown), so another hub takes the sweeps over at once.</summary>
    public async ValueTask ReleaseAsync(CancellationToken cancellationToken)
    {
        if (!IsHeld)
        {
            return;
        }

        IsHeld = false;
        string? current = await _meta.GetAsync(Key, cancellationToken).ConfigureAwait(false);
        if (current is not null && current.StartsWith(_owner + " ", StringComparison.Ordinal))
        {
            await _meta.TryReplaceAsync(Key, current, null, cancellationToken).ConfigureAwait(false);
        }
    }

    private bool Expired(string lease, long now)
    {
        long timestamp = _time.GetTimestamp();
        if (!string.Equals(lease, _observed, StringComparison.Ordinal))
        {
            _observed = lease;
            _observedAt = timestamp;
        }

        bool unrenewed = _time.GetElapsedTime(_observedAt, timestamp) >= Ttl;
        bool pastExpiry = long.TryParse(lease.AsSpan(lease.LastIndexOf(' ') + 1), NumberStyles.None, CultureInfo.InvariantCulture, out long expiry) && expiry < now;
        return unrenewed || pastExpiry;
    }
}
