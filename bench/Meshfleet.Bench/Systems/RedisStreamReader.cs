using System.Diagnostics;
using StackExchange.Redis;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// A subscriber blocked in <c>XREAD BLOCK</c> on a connection of its own (a blocking command holds the connection,
/// so it cannot share StackExchange.Redis' multiplexed one).
/// </summary>
internal sealed class RedisStreamReader : IInboxReader
{
    private readonly ConnectionMultiplexer _connection;
    private readonly IDatabase _database;
    private readonly string _key;
    private readonly Queue<InboxDelivery> _ready = new();
    private string _lastId = "0-0";

    public RedisStreamReader(ConnectionMultiplexer connection, string key)
    {
        _connection = connection;
        _database = connection.GetDatabase();
        _key = key;
    }

    public async ValueTask<InboxDelivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (_ready.Count == 0)
        {
            cancellationToken.ThrowIfCancellationRequested();
            RedisResult result = await _database.ExecuteAsync("XREAD", "COUNT", "1024", "BLOCK", "1000", "STREAMS", _key, _lastId);
            long arrived = Stopwatch.GetTimestamp();
            if (result.IsNull)
            {
                continue;
            }

            RedisResult[] entries = (RedisResult[])((RedisResult[])((RedisResult[])result!)[0]!)[1]!;
            foreach (RedisResult entry in entries)
            {
                RedisResult[] parts = (RedisResult[])entry!;
                _lastId = (string)parts[0]!;
                RedisResult[] fields = (RedisResult[])parts[1]!;
                for (int i = 0; i + 1 < fields.Length; i += 2)
                {
                    if ((string?)fields[i] == "payload")
                    {
                        _ready.Enqueue(new InboxDelivery((string)fields[i + 1]!, arrived));
                    }
                }
            }
        }

        return _ready.Dequeue();
    }

    public ValueTask DisposeAsync() => _connection.DisposeAsync();
}
