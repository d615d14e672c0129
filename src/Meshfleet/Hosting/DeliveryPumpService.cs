using Meshfleet.Core.Delivery;
using Meshfleet.Core.Streaming;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// Runs the delivery pump for the life of the process: it reads the store's tail and fans new messages out to this
/// process's streams and waiters. Every process runs one, whether or not it holds the port.
/// </summary>
internal sealed partial class DeliveryPumpService : IHostedService, IDisposable
{
    private readonly DeliveryPump _pump;
    private readonly PushLog _pushLog;
    private readonly Redeliverer _redeliverer;
    private readonly ILogger<DeliveryPumpService> _logger;
    private readonly CancellationTokenSource _stopping = new();
    private Task _loop = Task.CompletedTask;

    public DeliveryPumpService(DeliveryPump pump, PushLog pushLog, Redeliverer redeliverer, ILogger<DeliveryPumpService> logger)
    {
        _pump = pump;
        _pushLog = pushLog;
        _redeliverer = redeliverer;
        _logger = logger;
    }

    public async Task StartAsync(CancellationToken cancellationToken)
    {
        _pump.Faulted += ex => LogPumpFaulted(_logger, ex);
        _pump.Pushed += _pushLog.Record;
        _redeliverer.Redelivered += _pushLog.Record;
        _loop = await _pump.StartAsync(_stopping.Token).ConfigureAwait(false);
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _loop.WaitAsync(cancellationToken).ConfigureAwait(false);

        // The last pushes of this process's streams: written after the pump stopped, so none is left behind.
        await _pushLog.FlushAsync(CancellationToken.None).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    [LoggerMessage(Level = LogLevel.Error, Message = "Reading the store for delivery failed; retrying from the last cursor")]
    private static partial void LogPumpFaulted(ILogger logger, Exception exception);
}
