using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Storage;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// The port holder's periodic duties, on <see cref="TimeProvider"/> with the periods of <see cref="DutyPeriods"/>: they
/// start when this process takes the port and stop when it leaves it (<see cref="PortHolderLocator.PortHolderChanged"/>).
/// Push records and stream counts are facts of this process's own streams; the sweeps (watchdog, redelivery) act for
/// the whole store, so only the holder of the store's <see cref="DutyLease"/> runs them when several port holders share
/// one store on different ports.
/// </summary>
internal sealed partial class PeriodicDuties : IHostedService, IDisposable
{
    private readonly PortHolderLocator _locator;
    private readonly DutyLease _lease;
    private readonly DutyPeriods _periods;
    private readonly TimeProvider _time;
    private readonly PushLog _pushLog;
    private readonly PresenceReporter _presence;
    private readonly Watchdog _watchdog;
    private readonly Redeliverer _redeliverer;
    private readonly IMessageLog _store;
    private readonly ILogger<PeriodicDuties> _logger;
    private readonly Lock _gate = new();
    private CancellationTokenSource? _round;
    private Task _running = Task.CompletedTask;
    private bool _stopped;
    private bool _leaseLogged;

    public PeriodicDuties(
        PortHolderLocator locator,
        DutyLease lease,
        DutyPeriods periods,
        TimeProvider time,
        PushLog pushLog,
        PresenceReporter presence,
        Watchdog watchdog,
        Redeliverer redeliverer,
        IMessageLog store,
        ILogger<PeriodicDuties> logger)
    {
        _locator = locator;
        _lease = lease;
        _periods = periods;
        _time = time;
        _pushLog = pushLog;
        _presence = presence;
        _watchdog = watchdog;
        _redeliverer = redeliverer;
        _store = store;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _locator.PortHolderChanged += OnPortHolderChanged;
        OnPortHolderChanged();
        return Task.CompletedTask;
    }

    /// <summary>Stops the duties and gives the lease up, so another port holder takes the sweeps over at once.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _locator.PortHolderChanged -= OnPortHolderChanged;
        Task running;
        lock (_gate)
        {
            _stopped = true;
            _round?.Cancel();
            running = _running;
        }

        await running.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _round?.Dispose();

    private void OnPortHolderChanged()
    {
        lock (_gate)
        {
            if (_locator.IsPortHolder && _round is null && !_stopped)
            {
                _round = new CancellationTokenSource();
                Task previous = _running;
                CancellationToken token = _round.Token;
                _running = Task.Run(() => RunWhileHoldingAsync(previous, token), CancellationToken.None);
            }
            else if (!_locator.IsPortHolder && _round is not null)
            {
                _round.Cancel();
                _round = null;
            }
        }
    }

    private async Task RunWhileHoldingAsync(Task previous, CancellationToken cancellationToken)
    {
        // A quick leave-and-retake must not run two lease renewals at once: the lease is renewed by one loop only.
        await previous.ConfigureAwait(false);
        await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(
            RunEveryAsync(_periods.PushLogFlush, _pushLog.FlushAsync, cancellationToken),
            RunEveryAsync(_periods.PresenceReport, ToResult(_presence.ReportAsync), cancellationToken),
            RunEveryAsync(_periods.LeaseRenewal, ToResult(RenewLeaseAsync), cancellationToken),
            RunEveryAsync(_periods.WatchdogSweep, _watchdog.SweepAsync, cancellationToken, leased: true),
            RunEveryAsync(_periods.RedeliverySweep, _redeliverer.RunDueAsync, cancellationToken, leased: true)).ConfigureAwait(false);
        await ReleaseLeaseAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one duty on a period until stopped; a failure is logged and the next round tries again. A
    /// <paramref name="leased"/> duty runs only while this process holds the store's duty lease.
    /// </summary>
    private async Task RunEveryAsync<T>(TimeSpan period, Func<CancellationToken, ValueTask<T>> duty, CancellationToken cancellationToken, bool leased = false)
    {
        while (await DelayAsync(period, cancellationToken).ConfigureAwait(false))
        {
            if (leased && !_lease.IsHeld)
            {
                continue;
            }

            try
            {
                await duty(cancellationToken).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogDutyFailed(_logger, duty.Method.Name, ex);
            }
        }
    }

    private static Func<CancellationToken, ValueTask<bool>> ToResult(Func<CancellationToken, ValueTask> duty) =>
        async ct =>
        {
            await duty(ct).ConfigureAwait(false);
            return true;
        };

    private async ValueTask RenewLeaseAsync(CancellationToken cancellationToken)
    {
        bool held = _lease.IsHeld;
        try
        {
            await _lease.RenewAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return;
        }
        catch (Exception ex)
        {
            LogDutyFailed(_logger, nameof(DutyLease.RenewAsync), ex);
        }

        if (_lease.IsHeld && !held)
        {
            LogRunsDuties(_logger, _store.StoreId);
        }
        else if (!_lease.IsHeld && (held || !_leaseLogged))
        {
            LogLeavesDuties(_logger, _lease.HolderPid ?? "another process");
        }

        _leaseLogged = true;
    }

    private async Task ReleaseLeaseAsync()
    {
        try
        {
            await _lease.ReleaseAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // It expires on its own within DutyLease.Ttl.
            LogDutyFailed(_logger, nameof(DutyLease.ReleaseAsync), ex);
        }
    }

    private async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, _time, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "This process runs the store's sweeps (watchdog, redelivery) for store {StoreId}")]
    private static partial void LogRunsDuties(ILogger logger, string storeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "This process leaves the store's sweeps (watchdog, redelivery) to process {HolderPid}, which holds the store's duty lease; it takes them over if that process stops")]
    private static partial void LogLeavesDuties(ILogger logger, string holderPid);

    [LoggerMessage(Level = LogLevel.Error, Message = "Port holder duty {Duty} failed; it runs again next round")]
    private static partial void LogDutyFailed(ILogger logger, string duty, Exception exception);
}
