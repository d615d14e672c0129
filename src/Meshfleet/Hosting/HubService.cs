using System.Net;
using System.Net.Sockets;
using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;
using Meshfleet.Http;
using Meshfleet.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// Runs the delivery pump and competes for the HTTP port. The process holding the port is the mesh's push hub;
/// the others keep serving MCP and take the port over when the hub goes away (a backend that needs it, SQLite, wakes
/// the hub after each send with its own change signal, <see cref="SqliteChangeSignal"/>).
/// </summary>
internal sealed partial class HubService : IHostedService, IDisposable
{
    private static readonly TimeSpan TakeoverPoll = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan ProtectionPoll = TimeSpan.FromSeconds(1);
    private readonly MeshfleetSettings _settings;
    private readonly Mesh _mesh;
    private readonly IMessageLog _store;
    private readonly DeliveryPump _pump;
    private readonly HubLocator _locator;
    private readonly ToolCatalog _catalog;
    private readonly ServeMode _mode;
    private readonly StreamHub _hub;
    private readonly Watchdog _watchdog;
    private readonly Redeliverer _redeliverer;
    private readonly PushLog _pushLog;
    private readonly PresenceReporter _presence;
    private readonly AgentRegistry _registry;
    private readonly StoreProtection _protection;
    private readonly DutyLease _lease;
    private readonly ILogger<HubService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _pumpLoop = Task.CompletedTask;
    private Task _listenLoop = Task.CompletedTask;
    private bool _leaseLogged;

    public HubService(
        MeshfleetSettings settings,
        Mesh mesh,
        DeliveryPump pump,
        HubLocator locator,
        ToolCatalog catalog,
        ServeMode mode,
        StreamHub hub,
        Watchdog watchdog,
        Redeliverer redeliverer,
        PushLog pushLog,
        PresenceReporter presence,
        AgentRegistry registry,
        StoreProtection protection,
        DutyLease lease,
        ILogger<HubService> logger)
    {
        _lease = lease;
        _protection = protection;
        _registry = registry;
        _hub = hub;
        _watchdog = watchdog;
        _redeliverer = redeliverer;
        _pushLog = pushLog;
        _presence = presence;
        _settings = settings;
        _mesh = mesh;
        _store = mesh.Store;
        _pump = pump;
        _locator = locator;
        _catalog = catalog;
        _mode = mode;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _pump.Faulted += ex => LogPumpFaulted(_logger, ex);
        _pump.Pushed += _pushLog.Record;
        _redeliverer.Redelivered += _pushLog.Record;
        _pumpLoop = await _pump.StartAsync(_stopping.Token).ConfigureAwait(false);
        _listenLoop = Task.Run(() => ListenAsync(_stopping.Token), CancellationToken.None);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await Task.WhenAll(_listenLoop, _pumpLoop).WaitAsync(cancellationToken).ConfigureAwait(false);
        await _pushLog.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task ListenAsync(CancellationToken cancellationToken)
    {
        bool warned = false;
        bool refused = false;
        while (!cancellationToken.IsCancellationRequested)
        {
            // Asked before every attempt at the port: a store can become protected while this process waits for it.
            string? refusal = await RefusalAsync(cancellationToken).ConfigureAwait(false);
            _locator.Refusal = refusal;
            if (refusal is not null)
            {
                if (!refused)
                {
                    LogRefused(_logger, refusal);
                    refused = true;
                }

                if (!await DelayAsync(ProtectionPoll, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            if (_settings.SsePort != 0 && !PortIsFree())
            {
                if (!warned)
                {
                    if (_mode.ServeMcpOverHttp)
                    {
                        LogServePortTaken(_logger, _settings.SsePort);
                    }
                    else
                    {
                        LogPortTaken(_logger, _settings.SsePort);
                    }

                    warned = true;
                }

                if (!await DelayAsync(TakeoverPoll, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            WebApplication app = HttpSurface.Build(_settings, _mesh, _registry, _store, _catalog, _mode.ServeMcpOverHttp);
            try
            {
                await app.StartAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                await app.DisposeAsync().ConfigureAwait(false);

                // Address in use: another process bound the port between the probe and here, the usual race when clients
                // start several processes at once. The next round finds the port taken and says so once, calmly.
                if (ex.InnerException is not AddressInUseException)
                {
                    LogBindFailed(_logger, _settings.SsePort, ex.Message);
                }

                if (!await DelayAsync(TakeoverPoll, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }
            catch (OperationCanceledException)
            {
                await app.DisposeAsync().ConfigureAwait(false);
                return;
            }

            // Returns when the process stops, or when the store became protected under a hub without its token.
            await ServeAsHubAsync(app, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <summary>Why this process may not serve the store over HTTP, or null; an unreadable store counts as a refusal for now.</summary>
    private async Task<string?> RefusalAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await _protection.CheckAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return null;
        }
        catch (Exception ex)
        {
            LogDutyFailed(_logger, nameof(StoreProtection.CheckAsync), ex);
            return "the store could not be read to check whether it is token-protected";
        }
    }

    private async ValueTask StepDownIfRefusedAsync(CancellationTokenSource hub, CancellationToken cancellationToken)
    {
        if (await _protection.CheckAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            LogSteppingDown(_logger, refusal);
            await hub.CancelAsync().ConfigureAwait(false);
        }
    }

    private async Task ServeAsHubAsync(WebApplication app, CancellationToken stopping)
    {
        using var hub = CancellationTokenSource.CreateLinkedTokenSource(stopping);
        CancellationToken cancellationToken = hub.Token;
        int port = BoundPort(app);
        _locator.BecameHub(port);
        LogListening(_logger, ProductInfo.Version, _locator.HubBaseUrl!, port, _store.StoreId);
        if (_mode.ServeMcpOverHttp)
        {
            LogServingMcp(_logger, _locator.HubBaseUrl + "/mcp", _settings.Token is null ? "no token (loopback only)" : "bearer token required");
            LogDashboard(_logger, _locator.HubBaseUrl + "/");
        }
        await RenewLeaseAsync(cancellationToken).ConfigureAwait(false);

        // Push records and stream counts are facts of this hub's own streams; the sweeps act for the whole store, so
        // only the lease holder runs them when several hubs share one store on different ports.
        Task[] duties =
        [
            RunEveryAsync(TimeSpan.FromMilliseconds(100), _pushLog.FlushAsync, cancellationToken),
            RunEveryAsync(TimeSpan.FromSeconds(1), _presence.ReportAsync, cancellationToken),
            RunEveryAsync(TimeSpan.FromSeconds(1), RenewLeaseAsync, cancellationToken),
            RunEveryAsync(TimeSpan.FromSeconds(1), _watchdog.SweepAsync, cancellationToken, leased: true),
            RunEveryAsync(TimeSpan.FromMilliseconds(200), _redeliverer.RunDueAsync, cancellationToken, leased: true),
            RunEveryAsync(ProtectionPoll, ct => StepDownIfRefusedAsync(hub, ct), cancellationToken),
        ];
        await DelayAsync(Timeout.InfiniteTimeSpan, cancellationToken).ConfigureAwait(false);
        await Task.WhenAll(duties).ConfigureAwait(false);
        await ReleaseLeaseAsync().ConfigureAwait(false);
        _locator.LeftHub();
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(5));
        await app.StopAsync(grace.Token).ConfigureAwait(false);
        await app.DisposeAsync().ConfigureAwait(false);
    }

    /// <summary>
    /// Runs one of the hub's duties on a period until stopped; a failure is logged and the next round tries again.
    /// A <paramref name="leased"/> duty runs only while this process holds the store's duty lease.
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

    private Task RunEveryAsync(TimeSpan period, Func<CancellationToken, ValueTask> duty, CancellationToken cancellationToken) =>
        RunEveryAsync(period, async ct => { await duty(ct).ConfigureAwait(false); return true; }, cancellationToken);

    private bool PortIsFree()
    {
        using var probe = new Socket(SocketType.Stream, ProtocolType.Tcp);
        try
        {
            probe.SetSocketOption(SocketOptionLevel.Socket, SocketOptionName.ReuseAddress, true);
            probe.Bind(new IPEndPoint(IPAddress.Parse(_settings.SseHost), _settings.SsePort));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    private static int BoundPort(WebApplication app)
    {
        string address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new Uri(address).Port;
    }

    private static async Task<bool> DelayAsync(TimeSpan delay, CancellationToken cancellationToken)
    {
        try
        {
            await Task.Delay(delay, cancellationToken).ConfigureAwait(false);
            return true;
        }
        catch (OperationCanceledException)
        {
            return false;
        }
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Meshfleet {Version} hub: SSE listening on {BaseUrl} (port {Port}, store {StoreId})")]
    private static partial void LogListening(ILogger logger, string version, string baseUrl, int port, string storeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "Dashboard at {DashboardUrl}")]
    private static partial void LogDashboard(ILogger logger, string dashboardUrl);

    [LoggerMessage(Level = LogLevel.Information, Message = "MCP over Streamable HTTP at {McpUrl}, {Auth}")]
    private static partial void LogServingMcp(ILogger logger, string mcpUrl, string auth);

    [LoggerMessage(Level = LogLevel.Information, Message = "Port {Port} is taken: MCP keeps working here, streams are served by the process that holds the port, and this process takes the port over when it frees")]
    private static partial void LogPortTaken(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Port {Port} is taken, so /mcp and the streams are not served here yet: this process takes the port over when the holder exits. Stop the process holding it, or set MESHFLEET_SSE_PORT / --sse-port to a free port")]
    private static partial void LogServePortTaken(ILogger logger, int port);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Not serving HTTP here: {Reason}. This process serves MCP over stdio only and never takes the port, so the mesh stays closed; set MESHFLEET_TOKEN to the mesh's token to serve streams and the dashboard from it")]
    private static partial void LogRefused(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Leaving the HTTP port: {Reason} (a process with the token protected the store). MCP keeps working here")]
    private static partial void LogSteppingDown(ILogger logger, string reason);

    [LoggerMessage(Level = LogLevel.Information, Message = "This process runs the store's sweeps (watchdog, redelivery) for store {StoreId}")]
    private static partial void LogRunsDuties(ILogger logger, string storeId);

    [LoggerMessage(Level = LogLevel.Information, Message = "This process leaves the store's sweeps (watchdog, redelivery) to process {HolderPid}, which holds the store's duty lease; it takes them over if that process stops")]
    private static partial void LogLeavesDuties(ILogger logger, string holderPid);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not bind port {Port} ({Reason}); retrying")]
    private static partial void LogBindFailed(ILogger logger, int port, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Hub duty {Duty} failed; it runs again next round")]
    private static partial void LogDutyFailed(ILogger logger, string duty, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the store for delivery failed; retrying from the last cursor")]
    private static partial void LogPumpFaulted(ILogger logger, Exception exception);
}
