using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// The semantics every backend of <see cref="IMessageLog"/> keeps. A backend's test class inherits this and gives its
/// <see cref="StoreFactory"/>; where backends differ, the tests read <see cref="IMessageLog.Traits"/>.
/// </summary>
public abstract class MessageLogCompliance : StorageCompliance
{
    [Fact]
    public async Task Append_assigns_strictly_increasing_seqs()
    {
        IMessageLog store = Open().Log;
        Assert.Equal(0, await store.ReadHeadSeqAsync(None));
        long previous = 0;
        for (int i = 0; i < 20; i++)
        {
            AppendResult result = await store.AppendAsync(Draft("a", "b", $"m{i}"), None);
            Assert.True(result.Message.Seq > previous, $"seq {result.Message.Seq} after {previous}");
            Assert.False(result.Duplicate);
            previous = result.Message.Seq;
        }

        Assert.Equal(previous, await store.ReadHeadSeqAsync(None));
    }

    [Fact]
    public async Task Read_inbox_after_cursor_is_exclusive_oldest_first_and_per_recipient()
    {
        IMessageLog store = Open().Log;
        var toB = new List<MeshMessage>();
        for (int i = 0; i < 10; i++)
        {
            toB.Add((await store.AppendAsync(Draft("a", "b", $"for b {i}"), None)).Message);
            await store.AppendAsync(Draft("a", "c", $"for c {i}"), None);
        }

        IReadOnlyList<MeshMessage> all = await store.ReadInboxAsync("b", 0, 100, None);
        Assert.Equal(toB, all);

        IReadOnlyList<MeshMessage> after = await store.ReadInboxAsync("b", toB[4].Seq, 3, None);
        Assert.Equal(toB.Skip(5).Take(3), after);
        Assert.Empty(await store.ReadInboxAsync("b", toB[^1].Seq, 10, None));
        Assert.Empty(await store.ReadInboxAsync("nobody", 0, 10, None));
    }

    [Fact]
    public async Task Read_after_returns_the_whole_ledger_in_seq_order()
    {
        IMessageLog store = Open().Log;
        var appended = new List<MeshMessage>();
        for (int i = 0; i < 12; i++)
        {
            appended.Add((await store.AppendAsync(Draft("a", i % 2 == 0 ? "b" : "c", $"m{i}"), None)).Message);
        }

        Assert.Equal(appended, await store.ReadAfterAsync(0, 100, None));
        Assert.Equal(appended.Skip(7), await store.ReadAfterAsync(appended[6].Seq, 100, None));
        Assert.Equal(appended.Skip(2).Take(4), await store.ReadAfterAsync(appended[1].Seq, 4, None));
    }

    [Fact]
    public async Task Get_message_finds_a_message_by_id_and_null_for_an_unknown_id()
    {
        IMessageLog store = Open().Log;
        MeshMessage sent = (await store.AppendAsync(Draft("a", "b", "find me") with { ThreadId = "t1", ReplyTo = "msg_x" }, None)).Message;

        Assert.Equal(sent, await store.GetMessageAsync(sent.MessageId, None));
        Assert.Null(await store.GetMessageAsync("msg_unknown", None));
    }

    [Fact]
    public async Task Messages_survive_closing_and_reopening_the_store()
    {
        StoreHandle first = Open();
        MeshMessage sent = (await first.Log.AppendAsync(Draft("a", "b", "durable") with { ThreadId = "t1", ReplyTo = "msg_x" }, None)).Message;
        string storeId = first.Log.StoreId;
        await first.CloseAsync();

        IMessageLog second = Reopen(first).Log;
        Assert.Equal([sent], await second.ReadInboxAsync("b", 0, 10, None));
        Assert.Equal(storeId, second.StoreId);
        Assert.Equal(sent.Seq, await second.ReadHeadSeqAsync(None));
        MeshMessage next = (await second.AppendAsync(Draft("a", "b", "after reopen"), None)).Message;
        Assert.True(next.Seq > sent.Seq);
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_message_per_sender()
    {
        IMessageLog store = Open().Log;
        AppendResult first = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), None);
        AppendResult retry = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), None);
        AppendResult otherSender = await store.AppendAsync(Draft("z", "b", "once", key: "k1"), None);

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Message, retry.Message);
        Assert.False(otherSender.Duplicate);
        Assert.Equal(2, (await store.ReadInboxAsync("b", 0, 10, None)).Count);
    }

    [Fact]
    public async Task Idempotency_key_kept_forever_still_answers_after_a_reopen()
    {
        StoreHandle first = Open();
        if (first.Traits.IdempotencyWindow is not null)
        {
            // A backend that forgets keys after a window states it; this test is about "forever" only.
            return;
        }

        AppendResult original = await first.Log.AppendAsync(Draft("a", "b", "once", key: "k-forever"), None);
        await first.CloseAsync();

        AppendResult retry = await Reopen(first).Log.AppendAsync(Draft("a", "b", "once", key: "k-forever"), None);
        Assert.True(retry.Duplicate);
        Assert.Equal(original.Message, retry.Message);
    }

    [Fact]
    public async Task Append_many_honours_idempotency_keys_like_append()
    {
        IMessageLog store = Open().Log;
        AppendResult first = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), None);

        IReadOnlyList<AppendResult> batch = await store.AppendManyAsync(
            [Draft("a", "b", "retried", key: "k1"), Draft("a", "c", "new", key: "k2"), Draft("a", "c", "repeat in batch", key: "k2")],
            None);

        Assert.Equal(3, batch.Count);
        Assert.True(batch[0].Duplicate);
        Assert.Equal(first.Message, batch[0].Message);
        Assert.False(batch[1].Duplicate);
        Assert.True(batch[2].Duplicate);
        Assert.Equal(batch[1].Message, batch[2].Message);
        Assert.Equal([first.Message], await store.ReadInboxAsync("b", 0, 10, None));
        Assert.Equal([batch[1].Message], await store.ReadInboxAsync("c", 0, 10, None));
    }

    [Fact]
    public async Task Append_many_keeps_order_and_is_all_or_none_when_the_backend_says_so()
    {
        IMessageLog store = Open().Log;
        IReadOnlyList<AppendResult> batch = await store.AppendManyAsync([Draft("a", "b", "1"), Draft("a", "c", "2"), Draft("a", "b", "3")], None);
        Assert.Equal(batch.Select(r => r.Message), await store.ReadAfterAsync(0, 10, None));
        Assert.True(batch[0].Message.Seq < batch[1].Message.Seq && batch[1].Message.Seq < batch[2].Message.Seq);

        if (!store.Traits.AtomicBatchAppend)
        {
            return;
        }

        // An atomic backend refuses a stored message id again, and then stores nothing of the batch it was in.
        MessageDraft fresh = Draft("a", "d", "in the failing batch");
        await Assert.ThrowsAnyAsync<Exception>(() => store.AppendManyAsync([fresh, Draft("a", "d", "x") with { MessageId = batch[0].Message.MessageId }], None).AsTask());
        Assert.Null(await store.GetMessageAsync(fresh.MessageId, None));
        Assert.Empty(await store.ReadInboxAsync("d", 0, 10, None));
    }

    [Fact]
    public async Task Concurrent_appends_from_two_handles_never_share_or_skip_a_seq()
    {
        StoreHandle first = Open();
        IMessageLog one = first.Log;
        IMessageLog two = Reopen(first).Log;
        Task<AppendResult>[] sends = Enumerable.Range(0, 200)
            .Select(i => (i % 2 == 0 ? one : two).AppendAsync(Draft("a", "b", $"c{i}"), None).AsTask())
            .ToArray();
        AppendResult[] results = await Task.WhenAll(sends);

        long[] seqs = results.Select(r => r.Message.Seq).Order().ToArray();
        Assert.Equal(seqs.Distinct().Count(), seqs.Length);
        IReadOnlyList<MeshMessage> stored = await one.ReadAfterAsync(0, 1000, None);
        Assert.Equal(seqs, stored.Select(m => m.Seq));
    }

    [Fact]
    public async Task Tail_is_woken_by_an_append_through_its_own_handle_without_any_signal()
    {
        // The factories poll slowly (seconds), so only the wake-up on append gets the message out within the test.
        IMessageLog store = Open().Log;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = store.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);
        ValueTask<bool> next = tail.MoveNextAsync();

        MeshMessage sent = (await store.AppendAsync(Draft("a", "b", "wake"), None)).Message;
        Assert.True(await next);
        Assert.Equal(sent, tail.Current);
    }

    [Fact]
    public async Task Tail_yields_existing_then_new_messages_including_another_handles()
    {
        StoreHandle reader = Open();
        IMessageLog writer = Reopen(reader).Log;
        MeshMessage before = (await writer.AppendAsync(Draft("a", "b", "before"), None)).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = reader.Log.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await tail.MoveNextAsync());
        Assert.Equal(before, tail.Current);

        ValueTask<bool> next = tail.MoveNextAsync();
        MeshMessage after = (await writer.AppendAsync(Draft("a", "c", "after"), None)).Message;
        if (reader.Traits.NeedsExternalChangeSignal)
        {
            reader.SignalExternalAppend();
        }

        Assert.True(await next);
        Assert.Equal(after, tail.Current);
    }

    [Fact]
    public async Task Import_into_another_store_keeps_ids_order_and_fields_and_skips_known_ids()
    {
        IMessageLog source = Open().Log;
        IMessageLog target = Open().Log;
        await target.AppendAsync(Draft("x", "y", "already in the target"), None);
        var exported = new List<MeshMessage>();
        for (int i = 0; i < 5; i++)
        {
            exported.Add((await source.AppendAsync(Draft("a", i % 2 == 0 ? "b" : "c", $"m{i}") with { ThreadId = "t", ReplyTo = i > 0 ? exported[0].MessageId : null }, None)).Message);
        }

        Assert.NotEqual(source.StoreId, target.StoreId);
        Assert.Equal(5, await target.ImportAsync(exported, None));
        Assert.Equal(0, await target.ImportAsync(exported, None));

        IReadOnlyList<MeshMessage> imported = (await target.ReadAfterAsync(0, 100, None)).Skip(1).ToArray();
        Assert.Equal(exported.Select(m => m with { Seq = 0 }), imported.Select(m => m with { Seq = 0 }));
        Assert.Equal(imported.Select(m => m.Seq).Order(), imported.Select(m => m.Seq));
        Assert.Equal(imported[0], await target.GetMessageAsync(exported[0].MessageId, None));
    }
}
