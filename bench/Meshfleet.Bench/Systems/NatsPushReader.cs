using System.Diagnostics;
using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;

namespace Meshfleet.Bench.Systems;

/// <summary>A JetStream push consumer read message by message.</summary>
internal sealed class NatsPushReader : IInboxReader
{
    private readonly NatsConnection _connection;
    private readonly CancellationTokenSource _stop = new();
    private readonly IAsyncEnumerator<INatsJSMsg<byte[]>> _messages;

    public NatsPushReader(NatsConnection connection, INatsJSPushConsumer consumer)
    {
        _connection = connection;
        _messages = consumer.ConsumeAsync<byte[]>(cancellationToken: _stop.Token).GetAsyncEnumerator(_stop.Token);
    }

    public async ValueTask<InboxDelivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration stop = cancellationToken.Register(() => _stop.Cancel());
        if (!await _messages.MoveNextAsync())
        {
            // Cancelling the consume loop ends the enumeration quietly; report that as what it is.
            cancellationToken.ThrowIfCancellationRequested();
            throw new EndOfStreamException("The push consumer ended.");
        }

        return new InboxDelivery(Encoding.UTF8.GetString(_messages.Current.Data ?? []), Stopwatch.GetTimestamp());
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        try
        {
            await _messages.DisposeAsync();
        }
        catch (OperationCanceledException)
        {
        }

        _stop.Dispose();
        await _connection.DisposeAsync();
    }
}
