using System.Threading.Channels;

namespace Meshfleet.Core.Streaming;

/// <summary>
/// One live stream of an agent's inbox: a buffer bounded in messages and in bytes, filled by the hub and drained by
/// the transport.
/// </summary>
public sealed class InboxSubscription : IDisposable
{
    /// <summary>What a buffered message costs beyond its payload (ids, envelope, the event itself).</summary>
    internal const int OverheadBytes = 256;

    private readonly StreamHub _hub;
    private readonly Channel<InboxEvent> _buffer;
    private readonly long _maxBytes;
    private readonly CancellationTokenSource _dropped = new();
    private long _bufferedBytes;

    internal InboxSubscription(StreamHub hub, string agentId, long replayUpTo, int capacity, long maxBytes)
    {
        _hub = hub;
        AgentId = agentId;
        ReplayUpTo = replayUpTo;
        _maxBytes = maxBytes;
        _buffer = Channel.CreateBounded<InboxEvent>(new BoundedChannelOptions(capacity)
        {
            SingleReader = true,
            SingleWriter = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        Live = new CountingReader(this);
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
    public ChannelReader<InboxEvent> Live { get; }

    /// <summary>
    /// Cancelled when the hub drops this subscriber for falling behind: the transport should close the connection then,
    /// so a reader that never reads does not keep the socket and its queued bytes.
    /// </summary>
    public CancellationToken Dropped => _dropped.Token;

    /// <summary>Bytes buffered now (payloads plus overhead).</summary>
    public long BufferedBytes => Interlocked.Read(ref _bufferedBytes);

    /// <summary>Called by the hub under its lock; false means the buffer is full (in messages or in bytes).</summary>
    internal bool TryDeliver(InboxEvent item)
    {
        long size = SizeOf(item);
        long buffered = Interlocked.Read(ref _bufferedBytes);
        if (buffered > 0 && buffered + size > _maxBytes)
        {
            return false;
        }

        if (!_buffer.Writer.TryWrite(item))
        {
            return false;
        }

        Interlocked.Add(ref _bufferedBytes, size);
        return true;
    }

    internal void Drop(string reason)
    {
        DropReason = reason;
        _buffer.Writer.TryComplete();
    }

    /// <summary>Signals <see cref="Dropped"/>; the hub calls it outside its lock, since the transport aborts a connection in it.</summary>
    internal void SignalDropped()
    {
        try
        {
            _dropped.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }

    private static long SizeOf(InboxEvent item) => item.Message.Payload.Length + OverheadBytes;

    /// <summary>Leaves the hub; safe to call more than once.</summary>
    public void Dispose()
    {
        _hub.Remove(this);
        _dropped.Dispose();
    }

    /// <summary>The buffer's reader, giving back each message's bytes as it is taken out.</summary>
    private sealed class CountingReader : ChannelReader<InboxEvent>
    {
        private readonly InboxSubscription _owner;

        public CountingReader(InboxSubscription owner)
        {
            _owner = owner;
        }

        public override Task Completion => _owner._buffer.Reader.Completion;

        public override bool TryRead(out InboxEvent item)
        {
            if (!_owner._buffer.Reader.TryRead(out item!))
            {
                return false;
            }

            Interlocked.Add(ref _owner._bufferedBytes, -SizeOf(item));
            return true;
        }

        public override ValueTask<bool> WaitToReadAsync(CancellationToken cancellationToken = default) =>
            _owner._buffer.Reader.WaitToReadAsync(cancellationToken);
    }
}
