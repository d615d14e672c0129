using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Nats;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// With NATS, one process runs the redelivery schedule (the duty lease) but the recipient's stream may be held by any:
/// this relay announces each redelivery this process makes and pushes the ones other processes announce.
/// </summary>
internal sealed partial class NatsRedeliveryRelay(
    NatsRedeliveries redeliveries,
    Redeliverer redeliverer,
    StreamHub hub,
    PushLog pushLog,
    IMessageLog log,
    ILogger<NatsRedeliveryRelay> logger) : IHostedService, IDisposable
{
    private readonly CancellationTokenSource _stopping = new();
    private Task _listening = Task.CompletedTask;

    public Task StartAsync(CancellationToken cancellationToken)
    {
        redeliverer.Redelivering += Announce;
        _listening = Task.Run(() => PushAnnouncedAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        redeliverer.Redelivering -= Announce;
        await _stopping.CancelAsync().ConfigureAwait(false);
        await _listening.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose() => _stopping.Dispose();

    private void Announce(MeshMessage message) => _ = AnnounceAsync(message.MessageId);

    private async Task AnnounceAsync(string messageId)
    {
        try
        {
            await redeliveries.AnnounceAsync(messageId, _stopping.Token).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            LogAnnounceFailed(logger, messageId, ex);
        }
    }

    private async Task PushAnnouncedAsync(CancellationToken cancellationToken)
    {
        while (!cancellationToken.IsCancellationRequested)
        {
            try
            {
                await foreach (string messageId in redeliveries.ReadAnnouncedAsync(cancellationToken).ConfigureAwait(false))
                {
                    if (await log.GetMessageAsync(messageId, cancellationToken).ConfigureAwait(false) is { } message
                        && hub.Redeliver(message) is > 0 and var reached)
                    {
                        pushLog.Record(message, reached);
                    }
                }
            }
            catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
            {
                return;
            }
            catch (Exception ex)
            {
                LogRelayFailed(logger, ex);
                await Task.Delay(TimeSpan.FromSeconds(1), cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not tell the other processes about the redelivery of {MessageId}; the next scheduled attempt tries again")]
    private static partial void LogAnnounceFailed(ILogger logger, string messageId, Exception exception);

    [LoggerMessage(Level = LogLevel.Error, Message = "Receiving other processes' redeliveries failed; resubscribing")]
    private static partial void LogRelayFailed(ILogger logger, Exception exception);
}
