using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Microsoft.Extensions.Time.Testing;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>
/// The tail's hand-over: messages the store's own writer just committed are yielded without reading them back, but only
/// while they continue the cursor exactly; a gap, a wake-up or the poll still reads the store, so nothing is skipped.
/// </summary>
public sealed class CursorTailTests
{
    private static readonly TimeSpan Poll = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan Bound = TimeSpan.FromSeconds(10);
    private readonly List<MeshMessage> _stored = [];
    private readonly FakeTimeProvider _time = new();
    private int _reads;

    [Fact]
    public async Task Contiguous_hand_overs_are_yielded_without_reading_the_store()
    {
        CursorTail tail = NewTail();
        await using IAsyncEnumerator<MeshMessage> reader = await ReaderPastFirstAsync(tail, () => tail.HandOver([Store(1)]));
        int readsAfterStart = _reads;

        tail.HandOver([Store(2), Store(3)]);
        Assert.Equal(2, await NextSeqAsync(reader));
        Assert.Equal(3, await NextSeqAsync(reader));
        Assert.Equal(readsAfterStart, _reads);
    }

    [Fact]
    public async Task A_gap_before_a_hand_over_reads_the_store_so_another_writers_message_is_not_skipped()
    {
        CursorTail tail = NewTail();
        await using IAsyncEnumerator<MeshMessage> reader = await ReaderPastFirstAsync(tail, () => tail.HandOver([Store(1)]));

        Store(2); // committed by another process: no wake-up reached this one
        tail.HandOver([Store(3)]);
        Assert.Equal(2, await NextSeqAsync(reader));
        Assert.Equal(3, await NextSeqAsync(reader));
    }

    [Fact]
    public async Task A_wake_up_reads_the_store_and_a_hand_over_already_read_is_not_yielded_twice()
    {
        CursorTail tail = NewTail();
        await using IAsyncEnumerator<MeshMessage> reader = await ReaderPastFirstAsync(tail, () =>
        {
            Store(1);
            tail.Wake();
        });

        MeshMessage two = Store(2);
        Store(3);
        tail.Wake();
        tail.HandOver([two]);
        Assert.Equal(2, await NextSeqAsync(reader));
        Assert.Equal(3, await NextSeqAsync(reader));

        Task<bool> next = reader.MoveNextAsync().AsTask();
        tail.HandOver([Store(4)]);
        Assert.True(await next.WaitAsync(Bound));
        Assert.Equal(4, reader.Current.Seq);
    }

    [Fact]
    public async Task The_poll_finds_a_message_that_no_wake_up_announced()
    {
        CursorTail tail = NewTail();
        await using IAsyncEnumerator<MeshMessage> reader = tail.ReadAsync(0, CancellationToken.None).GetAsyncEnumerator();
        Task<bool> next = reader.MoveNextAsync().AsTask();
        Assert.Equal(1, _reads);
        Store(1);
        Assert.False(next.IsCompleted);

        _time.Advance(Poll);
        Assert.True(await next.WaitAsync(Bound));
        Assert.Equal(1, reader.Current.Seq);
    }

    [Fact]
    public async Task Hand_overs_while_nobody_tails_are_not_kept_and_a_new_reader_starts_from_the_store()
    {
        CursorTail tail = NewTail();
        for (int seq = 1; seq <= 5000; seq++)
        {
            tail.HandOver([Store(seq)]);
        }

        await using IAsyncEnumerator<MeshMessage> reader = tail.ReadAsync(4998, CancellationToken.None).GetAsyncEnumerator();
        Assert.Equal(4999, await NextSeqAsync(reader));
        Assert.Equal(5000, await NextSeqAsync(reader));
        Assert.Equal(1, _reads);
    }

    private CursorTail NewTail() => new(ReadAfterAsync, Poll, _time);

    private MeshMessage Store(long seq)
    {
        var message = new MeshMessage($"m{seq}", seq, "a", "b", $"payload {seq}", seq, null, null);
        lock (_stored)
        {
            _stored.Add(message);
        }

        return message;
    }

    private ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _reads);
        lock (_stored)
        {
            return ValueTask.FromResult<IReadOnlyList<MeshMessage>>([.. _stored.Where(m => m.Seq > afterSeq).Take(limit)]);
        }
    }

    /// <summary>A reader of the tail from seq 0 that has yielded seq 1, which <paramref name="deliverFirst"/> delivers while it waits.</summary>
    private static async Task<IAsyncEnumerator<MeshMessage>> ReaderPastFirstAsync(CursorTail tail, Action deliverFirst)
    {
        IAsyncEnumerator<MeshMessage> reader = tail.ReadAsync(0, CancellationToken.None).GetAsyncEnumerator();
        Task<bool> first = reader.MoveNextAsync().AsTask();
        deliverFirst();
        Assert.True(await first.WaitAsync(Bound));
        Assert.Equal(1, reader.Current.Seq);
        return reader;
    }

    private static async Task<long> NextSeqAsync(IAsyncEnumerator<MeshMessage> reader)
    {
        Assert.True(await reader.MoveNextAsync().AsTask().WaitAsync(Bound));
        return reader.Current.Seq;
    }
}
