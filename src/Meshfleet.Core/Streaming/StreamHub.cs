using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Streaming;

/// <summary>
/// Fans committed messages out to the live streams of their recipients. Publishing never waits on a subscriber:
/// one whose buffer is full is dropped, and resumes from its last event id.
/// </summary>
public sealed class StreamHub
{
    private readonly StreamHubOptions _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<string, List<InboxSubscription>> _byAgent = new(StringComparer.Ordinal);
    private long _cursor;

    public StreamHub(StreamHubOptions options)
    {
        _options = options;
    }

    /// <summary>Raised after a subscriber leaves or is dropped (for presence).</summary>
    public event Action<string>? StreamsChanged;

    /// <summary>The seq of the last message published.</summary>
    public long Cursor
    {
        get
        {
            lock (_gate)
            {
                return _cursor;
            }
        }
    }

    /// <summary>Sets the starting cursor: messages up to it are served by replay from the store.</summary>
    public void StartAt(long seq)
    {
        lock (_gate)
        {
            _cursor = Math.Max(_cursor, seq);
        }
    }

    /// <summary>Opens a live subscription, or returns null when the agent already holds the maximum number of streams.</summary>
    public InboxSubscription? TryOpen(string agentId)
    {
        InboxSubscription subscription;
        lock (_gate)
        {
            if (!_byAgent.TryGetValue(agentId, out List<InboxSubscription>? list))
            {
                list = [];
                _byAgent[agentId] = list;
            }

            if (list.Count >= _options.MaxStreamsPerAgent)
            {
                return null;
            }

            subscription = new InboxSubscription(this, agentId, _cursor, _options.SubscriberBuffer);
            list.Add(subscription);
        }

        StreamsChanged?.Invoke(agentId);
        return subscription;
    }

    /// <summary>Number of live streams the agent holds.</summary>
    public int CountStreams(string agentId)
    {
        lock (_gate)
        {
            return _byAgent.TryGetValue(agentId, out List<InboxSubscription>? list) ? list.Count : 0;
        }
    }

    /// <summary>Delivers a committed message to its recipient's streams. Messages must arrive in seq order.</summary>
    public void Publish(MeshMessage message)
    {
        List<InboxSubscription>? dropped = null;
        lock (_gate)
        {
            if (message.Seq <= _cursor)
            {
                return;
            }

            _cursor = message.Seq;
            if (!_byAgent.TryGetValue(message.ToAgentId, out List<InboxSubscription>? list))
            {
                return;
            }

            for (int i = list.Count - 1; i >= 0; i--)
            {
                InboxSubscription subscription = list[i];
                if (!subscription.TryDeliver(message))
                {
                    list.RemoveAt(i);
                    subscription.Drop("subscriber buffer full: it was not reading fast enough");
                    (dropped ??= []).Add(subscription);
                }
            }

            if (list.Count == 0)
            {
                _byAgent.Remove(message.ToAgentId);
            }
        }

        if (dropped is not null)
        {
            StreamsChanged?.Invoke(message.ToAgentId);
        }
    }

    internal void Remove(InboxSubscription subscription)
    {
        bool removed;
        lock (_gate)
        {
            removed = _byAgent.TryGetValue(subscription.AgentId, out List<InboxSubscription>? list) && list.Remove(subscription);
            if (removed && list!.Count == 0)
            {
                _byAgent.Remove(subscription.AgentId);
            }
        }

        subscription.Drop(subscription.DropReason ?? "closed");
        if (removed)
        {
            StreamsChanged?.Invoke(subscription.AgentId);
        }
    }
}
