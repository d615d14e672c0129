using System.Net;
using System.Net.Sockets;
using Meshfleet.Configuration;
using Meshfleet.Core.Storage;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// Competes for the HTTP port. The process holding it is the port holder: it serves the streams, the dashboard, the
/// inbox API and, in <c>serve</c> mode, /mcp (<see cref="PortServer"/>); the others keep serving MCP over stdio and take
/// the port over when the holder goes away (probing every <see cref="DutyPeriods.TakeoverProbe"/>). A process may not
/// take the port of a token-protected store without its token, and leaves it when the store becomes protected
/// (<see cref="StoreProtection"/>). With a backend that pushes every append to every process (NATS), the port is no
/// mesh-wide role: each process serves the whole mesh from the port it holds, so processes on other machines each hold
/// their own.
/// </summary>
internal sealed partial class PortHolderElection : IHostedService, IDisposable
{
    private readonly MeshfleetSettings _settings;
    private readonly PortServer _server;
    private readonly PortHolderLocator _locator;
    private readonly StoreProtection _protection;
    private readonly ServeMode _mode;
    private readonly DutyPeriods _periods;
    private readonly TimeProvider _time;
    private readonly IMessageLog _store;
    private readonly ILogger<PortHolderElection> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public PortHolderElection(
        MeshfleetSettings settings,
        PortServer server,
        PortHolderLocator locator,
        StoreProtection protection,
        ServeMode mode,
        DutyPeriods periods,
        TimeProvider time,
        IMessageLog store,
        ILogger<PortHolderElection> logger)
    {
        _settings = settings;
        _server = server;
        _locator = locator;
        _protection = protection;
        _mode = mode;
        _periods = periods;
        _time = time;
        _store = store;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _loop = Task.Run(() => CompeteAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private async Task CompeteAsync(CancellationToken cancellationToken)
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

                if (!await DelayAsync(_periods.ProtectionCheck, cancellationToken).ConfigureAwait(false))
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

                if (!await DelayAsync(_periods.TakeoverProbe, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }

            KestrelServer server;
            int port;
            try
            {
                (server, port) = await _server.BindAsync(cancellationToken).ConfigureAwait(false);
            }
            catch (IOException ex)
            {
                // Address in use: another process bound the port between the probe and here, the usual race when clients
                // start several processes at once. The next round finds the port taken and says so once, calmly.
                if (ex.InnerException is not AddressInUseException)
                {
                    LogBindFailed(_logger, _settings.SsePort, ex.Message);
                }

                if (!await DelayAsync(_periods.TakeoverProbe, cancellationToken).ConfigureAwait(false))
                {
                    return;
                }

                continue;
            }
            catch (OperationCanceledException)
            {
                return;
            }

            // Returns when the process stops, or when the store became protected under a holder without its token.
            await HoldAsync(server, port, cancellationToken).ConfigureAwait(false);
        }
    }

    private async Task HoldAsync(KestrelServer server, int port, CancellationToken cancellationToken)
    {
        _locator.TookPort(port);
        LogListening(_logger, ProductInfo.Version, _locator.BaseUrl!, port, _store.StoreId);
        if (_mode.ServeMcpOverHttp)
        {
            LogServingMcp(_logger, _locator.BaseUrl + "/mcp", _settings.Token is null ? "no token (loopback only)" : "bearer token required");
            LogDashboard(_logger, _locator.BaseUrl + "/");
        }

        bool steppedDown = false;
        while (!steppedDown && await DelayAsync(_periods.ProtectionCheck, cancellationToken).ConfigureAwait(false))
        {
            if (await StepDownReasonAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
            {
                LogSteppingDown(_logger, refusal);
                steppedDown = true;
            }
        }

        _locator.LeftPort();

        // On shutdown the app's ApplicationStopping has already ended the streams and long polls: give the rest a grace.
        // Stepping down, the process may no longer serve this store, so its open streams are cut at once (their clients
        // resume from Last-Event-ID on the new port holder).
        using var grace = new CancellationTokenSource(steppedDown ? TimeSpan.Zero : TimeSpan.FromSeconds(5));
        await server.StopAsync(grace.Token).ConfigureAwait(false);
        server.Dispose();
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
            LogCheckFailed(_logger, ex);
            return "the store could not be read to check whether it is token-protected";
        }
    }

    /// <summary>Why the holder must leave the port (a process with the token protected the store), or null to stay.</summary>
    private async Task<string?> StepDownReasonAsync(CancellationToken cancellationToken)
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
            // A store that cannot be read now is no proof that it became protected: keep the port, check again next round.
            LogCheckFailed(_logger, ex);
            return null;
        }
    }

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

    [LoggerMessage(Level = LogLevel.Information, Message = "Meshfleet {Version} port holder: SSE listening on {BaseUrl} (port {Port}, store {StoreId})")]
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

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not bind port {Port} ({Reason}); retrying")]
    private static partial void LogBindFailed(ILogger logger, int port, string reason);

    [LoggerMessage(Level = LogLevel.Error, Message = "Checking the store's token protection failed; checking again next round")]
    private static partial void LogCheckFailed(ILogger logger, Exception exception);
}
