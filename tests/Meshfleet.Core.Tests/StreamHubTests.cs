using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Xunit;

namespace Meshfleet.Core.Tests;

public sealed class StreamHubTests
{
    private static MeshMessage Message(long seq, string to = "b") => new($"msg_{seq}", seq, "a", to, $"p{seq}", 1000 + seq);

    [Fact]
    public void Sixth_stream_of_an_agent_is_refused_and_others_are_unaffected()
    {
        var hub = new StreamHub(new StreamHubOptions { MaxStreamsPerAgent = 5 });
        var open = Enumerable.Range(0, 5).Select(_ => hub.TryOpen("b")).ToList();

        Assert.All(open, Assert.NotNull);
        Assert.Null(hub.TryOpen("b"));
        Assert.NotNull(hub.TryOpen("c"));
        Assert.Equal(5, hub.CountStreams("b"));

        open[0]!.Dispose();
        Assert.NotNull(hub.TryOpen("b"));
    }

    [Fact]
    public void Publish_reaches_only_the_recipients_streams_in_order()
    {
        var hub = new StreamHub(new StreamHubOptions());
        InboxSubscription b = hub.TryOpen("b")!;
        InboxSubscription c = hub.TryOpen("c")!;

        hub.Publish(Message(1, "b"));
        hub.Publish(Message(2, "c"));
        hub.Publish(Message(3, "b"));

        Assert.True(b.Live.TryRead(out InboxEvent first));
        Assert.True(b.Live.TryRead(out InboxEvent second));
        Assert.False(b.Live.TryRead(out _));
        Assert.Equal([1L, 3L], [first.Message.Seq, second.Message.Seq]);
        Assert.True(c.Live.TryRead(out InboxEvent forC));
        Assert.Equal(2, forC.Message.Seq);
    }

    [Fact]
    public void Full_subscriber_is_dropped_without_blocking_publish_or_other_subscribers()
    {
        var hub = new StreamHub(new StreamHubOptions { SubscriberBuffer = 2 });
        InboxSubscription slow = hub.TryOpen("b")!;
        InboxSubscription fast = hub.TryOpen("b")!;
        var fastSeen = new List<long>();

        for (long seq = 1; seq <= 5; seq++)
        {
            hub.Publish(Message(seq));
            while (fast.Live.TryRead(out InboxEvent m))
            {
                fastSeen.Add(m.Message.Seq);
            }
        }

        Assert.Equal([1L, 2L, 3L, 4L, 5L], fastSeen);
        Assert.NotNull(slow.DropReason);
        var slowSeen = new List<long>();
        while (slow.Live.TryRead(out InboxEvent m))
        {
            slowSeen.Add(m.Message.Seq);
        }

        Assert.Equal([1L, 2L], slowSeen);
        Assert.True(slow.Live.Completion.IsCompleted);
        Assert.Equal(1, hub.CountStreams("b"));
    }

    [Fact]
    public void Publish_ignores_seqs_at_or_below_the_cursor()
    {
        var hub = new StreamHub(new StreamHubOptions());
        hub.StartAt(10);
        InboxSubscription b = hub.TryOpen("b")!;
        Assert.Equal(10, b.ReplayUpTo);

        hub.Publish(Message(9));
        hub.Publish(Message(10));
        hub.Publish(Message(11));

        Assert.True(b.Live.TryRead(out InboxEvent only));
        Assert.Equal(11, only.Message.Seq);
        Assert.False(b.Live.TryRead(out _));
    }

    [Fact]
    public void Subscriber_over_its_byte_budget_is_dropped_and_told_to_close_while_a_reader_keeps_up()
    {
        var hub = new StreamHub(new StreamHubOptions { SubscriberBuffer = 1000, SubscriberBufferBytes = 200_000 });
        InboxSubscription stuck = hub.TryOpen("b")!;
        InboxSubscription reading = hub.TryOpen("b")!;
        string big = new('x', 64 * 1024);
        long delivered = 0;
        for (long seq = 1; seq <= 20; seq++)
        {
            hub.Publish(new MeshMessage($"msg_{seq}", seq, "a", "b", big, 1000 + seq));
            while (reading.Live.TryRead(out InboxEvent item))
            {
                delivered = item.Message.Seq;
            }
        }

        // Twenty 64 KiB messages are far under the 1,000-message bound: only the byte budget can have dropped it.
        Assert.True(stuck.Dropped.IsCancellationRequested);
        Assert.NotNull(stuck.DropReason);
        Assert.InRange(stuck.BufferedBytes, 1, 200_000);
        Assert.Equal(20, delivered);
        Assert.Equal(0, reading.BufferedBytes);
        Assert.False(reading.Dropped.IsCancellationRequested);
        Assert.Equal(1, hub.CountStreams("b"));
    }

    [Fact]
    public void One_message_larger_than_the_byte_budget_still_reaches_an_empty_buffer()
    {
        var hub = new StreamHub(new StreamHubOptions { SubscriberBufferBytes = 4096 });
        InboxSubscription b = hub.TryOpen("b")!;

        Assert.Equal(1, hub.Publish(new MeshMessage("msg_1", 1, "a", "b", new string('x', 100_000), 1001)));
        Assert.True(b.Live.TryRead(out InboxEvent only));
        Assert.Equal(1, only.Message.Seq);
        Assert.Equal(0, b.BufferedBytes);
    }

    [Fact]
    public void Streams_beyond_the_total_cap_are_refused_across_agents()
    {
        var hub = new StreamHub(new StreamHubOptions { MaxStreams = 2 });
        InboxSubscription first = hub.TryOpen("a")!;
        Assert.NotNull(hub.TryOpen("b"));

        Assert.True(hub.AtCapacity);
        Assert.Null(hub.TryOpen("c"));
        Assert.Equal(0, hub.CountStreams("c"));

        first.Dispose();
        Assert.False(hub.AtCapacity);
        Assert.NotNull(hub.TryOpen("c"));
    }
}
