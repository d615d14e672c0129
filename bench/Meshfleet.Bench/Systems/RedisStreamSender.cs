using StackExchange.Redis;

namespace Meshfleet.Bench.Systems;

/// <summary>One Redis client sending with XADD.</summary>
internal sealed class RedisStreamSender : IMessageSender
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;

    public RedisStreamSender(ConnectionMultiplexer connection)
    {
        _connection = connection;
        _database = connection.GetDatabase();
    }

    public async ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken) =>
        await _database.StreamAddAsync("inbox:" + toAgentId, [new NameValueEntry("from_agent_id", fromAgentId), new NameValueEntry("payload", payload)]);

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
