using System.Threading.Channels;

namespace Meshfleet.Bench.Floor;

/// <summary>The floor's live subscribers by agent; a full subscriber buffer drops the event, never blocks the sender.</summary>
internal sealed class FloorSubscribers
{
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<Channel<byte[]>>> _byAgent = new(StringComparer.Ordinal);

    public Channel<byte[]> Add(string agent)
    {
        Channel<byte[]> channel = Channel.CreateBounded<byte[]>(new BoundedChannelOptions(1024)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.DropWrite,
        });
        lock (_gate)
        {
            if (!_byAgent.TryGetValue(agent, out List<Channel<byte[]>>? list))
            {
                list = [];
                _byAgent[agent] = list;
            }

            list.Add(channel);
        }

        return channel;
    }

    public void Remove(string agent, Channel<byte[]> channel)
    {
        lock (_gate)
        {
            if (_byAgent.TryGetValue(agent, out List<Channel<byte[]>>? list) && list.Remove(channel) && list.Count == 0)
            {
                _byAgent.Remove(agent);
            }
        }
    }

    public void Publish(string agent, byte[] item)
    {
        lock (_gate)
        {
            if (_byAgent.TryGetValue(agent, out List<Channel<byte[]>>? list))
            {
                foreach (Channel<byte[]> channel in list)
                {
                    channel.Writer.TryWrite(item);
                }
            }
        }
    }
}
