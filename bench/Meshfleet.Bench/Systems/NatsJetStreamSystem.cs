using System.Globalization;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Net;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// NATS JetStream as an inbox: a file-backed stream over <c>inbox.&gt;</c>, publish waits for the stream's ack, and each
/// subscriber is a push consumer filtered to its agent's subject.
/// </summary>
internal sealed class NatsJetStreamSystem : IMessagingSystem
{
    private const string StreamName = "MESH";
    private readonly ServerProcess _server;
    private readonly NatsConnection _control;
    private readonly INatsJSContext _jetStream;
    private readonly string _url;

    private NatsJetStreamSystem(ServerProcess server, NatsConnection control, string url)
    {
        _server = server;
        _control = control;
        _jetStream = control.CreateJetStreamContext();
        _url = url;
    }

    public string Name => "nats-jetstream";

    public int? ServerProcessId => _server.Id;

    public int MaxSenders => int.MaxValue;

    public static async Task<NatsJetStreamSystem> StartAsync(CancellationToken cancellationToken)
    {
        string executable = ServerProcess.FindExecutable("nats-server")
            ?? throw new SystemUnavailableException("nats-server is not installed; install it with: apt-get install nats-server");
        int port = BenchNode.FreePort();
        ServerProcess server = await ServerProcess.StartAsync(
            executable,
            directory => ["-js", "-a", "127.0.0.1", "-p", port.ToString(CultureInfo.InvariantCulture), "-sd", directory],
            "Server is ready",
            environment: null,
            cancellationToken);
        string url = $"nats://127.0.0.1:{port}";
        var control = new NatsConnection(new NatsOpts { Url = url });
        try
        {
            var system = new NatsJetStreamSystem(server, control, url);
            await system._jetStream.CreateStreamAsync(new StreamConfig(StreamName, ["inbox.>"]) { Storage = StreamConfigStorage.File }, cancellationToken);
            return system;
        }
        catch
        {
            await control.DisposeAsync();
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(new NatsOpts { Url = _url });
        await connection.ConnectAsync();
        return new NatsJetStreamSender(connection);
    }

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(new NatsOpts { Url = _url });
        await connection.ConnectAsync();
        INatsJSContext jetStream = connection.CreateJetStreamContext();
        INatsJSPushConsumer consumer = await jetStream.CreateOrUpdatePushConsumerAsync(
            StreamName,
            new NatsJSPushConsumerOpts
            {
                Name = "sub-" + agentId,
                DeliverSubject = "deliver." + agentId,
                FilterSubject = "inbox." + agentId,
                AckPolicy = ConsumerConfigAckPolicy.None,
                DeliverPolicy = ConsumerConfigDeliverPolicy.All,
            },
            cancellationToken);
        return new NatsPushReader(connection, consumer);
    }

    public async ValueTask DisposeAsync()
    {
        await _control.DisposeAsync();
        await _server.DisposeAsync();
    }
}
