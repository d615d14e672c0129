using System.Text;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Meshfleet.Bench.Systems;

/// <summary>One NATS client publishing to JetStream and waiting for the stream's ack.</summary>
internal sealed class NatsJetStreamSender : IMessageSender
{
    private readonly NatsConnection _connection;
    private readonly INatsJSContext _jetStream;

    public NatsJetStreamSender(NatsConnection connection)
    {
        _connection = connection;
        _jetStream = connection.CreateJetStreamContext();
    }

    public async ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken)
    {
        PubAckResponse ack = await _jetStream.PublishAsync("inbox." + toAgentId, Encoding.UTF8.GetBytes(payload), cancellationToken: cancellationToken);
        ack.EnsureSuccess();
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
