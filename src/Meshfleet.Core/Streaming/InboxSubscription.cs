using System.Threading.Channels;

namespace Meshfleet.Core.Streaming;

/// <summary>
/// One live stream of an agent's inbox: a bounded buffer filled by the hub and drained by the transport.
/// </summary>
public sealed class InboxSubscription : IDisposable
{
    private readonly StreamHub _hub;
    private readonly Channel<InboxEvent> _buffer;

    internal InboxSubscription(StreamHub hub, string agentId, long replayUpTo, int capacity)
    {
        _hub = hub;
        AgentId = agentId;
        ReplayUpTo = replayUpTo;
        _buffer = Channel.CreateBounded<InboxEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
    }

    /// <summary>The agent whose inbox this streams.</summary>
    public string AgentId { get; }

    /// <summary>
    /// The hub's cursor when the subscription opened: messages up to here come from the store, later ones from the buffer.
    /// </summary>
    public long ReplayUpTo { get; }

    /// <summary>Why the hub ended this subscription, if it did.</summary>
    public string? DropReason { get; private set; }

    /// <summary>Live messages, in seq order. Completes when the hub drops the subscriber.</summary>
    public ChannelReader<InboxEvent> Live => _buffer.Reader;

    /// <summary>Called by the hub under its lock; false means the buffer is full.</summary>
    internal bool TryDeliver(InboxEvent item) => _buffer.Writer.TryWrite(item);

    internal void Drop(string reason)
    {
        DropReason = reason;
        _buffer.Writer.TryComplete();
    }

    /// <summary>Leaves the hub; safe to call more than once.</summary>
    public void Dispose() => _hub.Remove(this);
}
