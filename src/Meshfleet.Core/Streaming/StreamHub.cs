using Meshfleet.Core.Agents;
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
    private readonly Dictionary<string, List<TaskCompletionSource>> _waiters = new(StringComparer.Ordinal);

    // Keyed by question id (the reply's reply_to); each entry remembers its asker, since only a reply to the asker counts.
    private readonly Dictionary<string, List<(string Asker, TaskCompletionSource<MeshMessage> Reply)>> _replyWaiters = new(StringComparer.Ordinal);
    private long _cursor;
    private int _waiterCount;
    private int _streamCount;

    public StreamHub(StreamHubOptions options)
    {
        _options = options;
    }

    /// <summary>Raised once for each new message this process publishes, in seq order (wakes bound sessions).</summary>
    public event Action<MeshMessage>? Published;

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

    /// <summary>True while the hub holds <see cref="StreamHubOptions.MaxStreams"/> streams and opens no more.</summary>
    public bool AtCapacity
    {
        get
        {
            lock (_gate)
            {
                return _streamCount >= _options.MaxStreams;
            }
        }
    }

    /// <summary>
    /// Opens a live subscription, or returns null when the agent already holds the maximum number of streams or the hub
    /// holds <see cref="StreamHubOptions.MaxStreams"/> over all agents.
    /// </summary>
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

            if (list.Count >= _options.MaxStreamsPerAgent || _streamCount >= _options.MaxStreams)
            {
                if (list.Count == 0)
                {
                    _byAgent.Remove(agentId);
                }

                return null;
            }

            subscription = new InboxSubscription(this, agentId, _cursor, _options.SubscriberBuffer, _options.SubscriberBufferBytes);
            list.Add(subscription);
            _streamCount++;
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

    /// <summary>
    /// Delivers a committed message to its recipient's streams and wakes its waiters. Messages must arrive in seq order.
    /// Returns how many streams it reached.
    /// </summary>
    public int Publish(MeshMessage message)
    {
        lock (_gate)
        {
            if (message.Seq <= _cursor)
            {
                return 0;
            }

            _cursor = message.Seq;
            WakeWaiters(message.ToAgentId);
            HandOverReply(message);
        }

        Published?.Invoke(message);
        return Deliver(new InboxEvent(message, Redelivery: false));
    }

    /// <summary>Pushes a message again to its recipient's streams (it awaits an ack). Returns how many streams it reached.</summary>
    public int Redeliver(MeshMessage message) => Deliver(new InboxEvent(message, Redelivery: true));

    /// <summary>
    /// A task that completes when the next message for <paramref name="agentId"/> is published. Register before checking
    /// the store, so a message that lands in between still wakes the waiter.
    /// </summary>
    public Task WaitForMessageAsync(string agentId, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_waiters.TryGetValue(agentId, out List<TaskCompletionSource>? list))
            {
                list = [];
                _waiters[agentId] = list;
            }

            list.Add(waiter);
            _waiterCount++;
        }

        WaitersChanged?.Invoke();
        return waiter.Task.WaitAsync(cancellationToken).ContinueWith(
            task =>
            {
                Forget(agentId, waiter);
                task.GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>
    /// A task that completes with the reply to question <paramref name="questionId"/> addressed to <paramref name="askerId"/>
    /// (not a system notice) when it is published: the message itself, so the asker need not read it again. Register before
    /// the last look at the store, so a reply committed in between is still handed over.
    /// </summary>
    public Task<MeshMessage> WaitForReplyAsync(string askerId, string questionId, CancellationToken cancellationToken)
    {
        var waiter = new TaskCompletionSource<MeshMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_gate)
        {
            if (!_replyWaiters.TryGetValue(questionId, out var list))
            {
                list = [];
                _replyWaiters[questionId] = list;
            }

            list.Add((askerId, waiter));
            _waiterCount++;
        }

        WaitersChanged?.Invoke();
        return waiter.Task.WaitAsync(cancellationToken).ContinueWith(
            task =>
            {
                ForgetReply(questionId, waiter);
                return task.GetAwaiter().GetResult();
            },
            CancellationToken.None,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
    }

    /// <summary>True while some call in this process waits for a message.</summary>
    public bool HasWaiters
    {
        get
        {
            lock (_gate)
            {
                return _waiterCount > 0;
            }
        }
    }

    /// <summary>Raised when a waiter registers (the pump may poll faster while any wait).</summary>
    public event Action? WaitersChanged;

    private void WakeWaiters(string agentId)
    {
        if (_waiters.Remove(agentId, out List<TaskCompletionSource>? waiting))
        {
            _waiterCount -= waiting.Count;
            foreach (TaskCompletionSource waiter in waiting)
            {
                waiter.TrySetResult();
            }
        }
    }

    private void HandOverReply(MeshMessage message)
    {
        if (message.ReplyTo is not { } questionId
            || message.FromAgentId == AgentRegistry.SystemAgentId
            || !_replyWaiters.TryGetValue(questionId, out var list))
        {
            return;
        }

        for (int i = list.Count - 1; i >= 0; i--)
        {
            if (list[i].Asker == message.ToAgentId)
            {
                list[i].Reply.TrySetResult(message);
                list.RemoveAt(i);
                _waiterCount--;
            }
        }

        if (list.Count == 0)
        {
            _replyWaiters.Remove(questionId);
        }
    }

    private void ForgetReply(string questionId, TaskCompletionSource<MeshMessage> waiter)
    {
        lock (_gate)
        {
            if (_replyWaiters.TryGetValue(questionId, out var list) && list.RemoveAll(w => w.Reply == waiter) > 0)
            {
                _waiterCount--;
                if (list.Count == 0)
                {
                    _replyWaiters.Remove(questionId);
                }
            }
        }
    }

    private void Forget(string agentId, TaskCompletionSource waiter)
    {
        lock (_gate)
        {
            if (_waiters.TryGetValue(agentId, out List<TaskCompletionSource>? list) && list.Remove(waiter))
            {
                _waiterCount--;
                if (list.Count == 0)
                {
                    _waiters.Remove(agentId);
                }
            }
        }
    }

    private int Deliver(InboxEvent item)
    {
        string agentId = item.Message.ToAgentId;
        int reached = 0;
        List<InboxSubscription>? dropped = null;
        lock (_gate)
        {
            if (!_byAgent.TryGetValue(agentId, out List<InboxSubscription>? list))
            {
                return 0;
            }

            for (int i = list.Count - 1; i >= 0; i--)
            {
                InboxSubscription subscription = list[i];
                if (subscription.TryDeliver(item))
                {
                    reached++;
                }
                else
                {
                    list.RemoveAt(i);
                    _streamCount--;
                    subscription.Drop("subscriber buffer full: it was not reading fast enough");
                    (dropped ??= []).Add(subscription);
                }
            }

            if (list.Count == 0)
            {
                _byAgent.Remove(agentId);
            }
        }

        if (dropped is not null)
        {
            foreach (InboxSubscription subscription in dropped)
            {
                subscription.SignalDropped();
            }

            StreamsChanged?.Invoke(agentId);
        }

        return reached;
    }

    /// <summary>Stream counts of every agent holding one.</summary>
    public Dictionary<string, int> SnapshotStreams()
    {
        lock (_gate)
        {
            return _byAgent.ToDictionary(p => p.Key, p => p.Value.Count, StringComparer.Ordinal);
        }
    }

    internal void Remove(InboxSubscription subscription)
    {
        bool removed;
        lock (_gate)
        {
            removed = _byAgent.TryGetValue(subscription.AgentId, out List<InboxSubscription>? list) && list.Remove(subscription);
            if (removed)
            {
                _streamCount--;
                if (list!.Count == 0)
                {
                    _byAgent.Remove(subscription.AgentId);
                }
            }
        }

        subscription.Drop(subscription.DropReason ?? "closed");
        if (removed)
        {
            StreamsChanged?.Invoke(subscription.AgentId);
        }
    }
}
