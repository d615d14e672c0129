using System.Globalization;
using StackExchange.Redis;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// Redis Streams as an inbox: XADD to <c>inbox:{agent}</c> (acknowledged after the AOF write, fsynced per
/// <c>appendfsync</c>), and a subscriber blocked in XREAD on its own connection.
/// </summary>
internal sealed class RedisStreamsSystem : IMessagingSystem
{
    private readonly ServerProcess _server;
    private readonly int _port;

    private RedisStreamsSystem(ServerProcess server, int port, string appendFsync)
    {
        _server = server;
        _port = port;
        Name = "redis-aof-" + appendFsync;
    }

    public string Name { get; }

    public int? ServerProcessId => _server.Id;

    public int MaxSenders => int.MaxValue;

    /// <summary>Starts redis-server with AOF on and <paramref name="appendFsync"/> (everysec or always).</summary>
    public static async Task<RedisStreamsSystem> StartAsync(string appendFsync, CancellationToken cancellationToken)
    {
        string executable = ServerProcess.FindExecutable("redis-server")
            ?? throw new SystemUnavailableException("redis-server is not installed; install it with: apt-get install redis-server");
        int port = BenchNode.FreePort();
        ServerProcess server = await ServerProcess.StartAsync(
            executable,
            directory =>
            [
                "--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--dir", directory,
                "--appendonly", "yes", "--appendfsync", appendFsync, "--save", string.Empty, "--daemonize", "no",
                "--logfile", string.Empty, "--maxclients", "20000",
            ],
            "Ready to accept connections",
            environment: null,
            cancellationToken);
        return new RedisStreamsSystem(server, port, appendFsync);
    }

    public async ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) =>
        new RedisStreamSender(await ConnectAsync());

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        new RedisStreamReader(await ConnectAsync(), "inbox:" + agentId);

    public ValueTask DisposeAsync() => _server.DisposeAsync();

    private Task<ConnectionMultiplexer> ConnectAsync() => ConnectionMultiplexer.ConnectAsync(new ConfigurationOptions
    {
        EndPoints = { { "127.0.0.1", _port } },
        AsyncTimeout = 15_000,
        SyncTimeout = 15_000,
        ConnectTimeout = 10_000,
        AbortOnConnectFail = true,
    });
}
