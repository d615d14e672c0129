using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// The semantics every backend of <see cref="IMessageStore"/> keeps. A backend's test class inherits this and says how
/// to open (and reopen) its store.
/// </summary>
public abstract class MessageStoreCompliance : IAsyncLifetime
{
    private readonly List<IMessageStore> _opened = [];
    private int _ids;

    /// <summary>Opens the store under test; a second call opens the same store again (as a restart or another process would).</summary>
    protected abstract IMessageStore OpenStore();

    /// <summary>Opens another store of the same backend, empty and apart from <see cref="OpenStore"/>'s (an import's destination).</summary>
    protected abstract IMessageStore OpenEmptyStore();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IMessageStore store in _opened)
        {
            await store.DisposeAsync();
        }
    }

    protected IMessageStore Open()
    {
        IMessageStore store = OpenStore();
        _opened.Add(store);
        return store;
    }

    protected MessageDraft Draft(string from, string to, string payload, string? key = null) =>
        new($"msg_test_{Interlocked.Increment(ref _ids)}_{Guid.NewGuid():N}", from, to, payload, 1_763_942_400_000 + _ids, IdempotencyKey: key);

    [Fact]
    public async Task Append_assigns_strictly_increasing_seqs()
    {
        IMessageStore store = Open();
        long previous = 0;
        for (int i = 0; i < 20; i++)
        {
            AppendResult result = await store.AppendAsync(Draft("a", "b", $"m{i}"), CancellationToken.None);
            Assert.True(result.Message.Seq > previous, $"seq {result.Message.Seq} after {previous}");
            Assert.False(result.Duplicate);
            previous = result.Message.Seq;
        }

        Assert.Equal(previous, await store.ReadHeadSeqAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Read_inbox_after_cursor_is_exclusive_oldest_first_and_per_recipient()
    {
        IMessageStore store = Open();
        var toB = new List<MeshMessage>();
        for (int i = 0; i < 10; i++)
        {
            toB.Add((await store.AppendAsync(Draft("a", "b", $"for b {i}"), CancellationToken.None)).Message);
            await store.AppendAsync(Draft("a", "c", $"for c {i}"), CancellationToken.None);
        }

        IReadOnlyList<MeshMessage> all = await store.ReadInboxAsync("b", 0, 100, CancellationToken.None);
        Assert.Equal(toB, all);

        IReadOnlyList<MeshMessage> after = await store.ReadInboxAsync("b", toB[4].Seq, 3, CancellationToken.None);
        Assert.Equal(toB.Skip(5).Take(3), after);
    }

    [Fact]
    public async Task Read_after_returns_the_whole_ledger_in_seq_order()
    {
        IMessageStore store = Open();
        var appended = new List<MeshMessage>();
        for (int i = 0; i < 12; i++)
        {
            appended.Add((await store.AppendAsync(Draft("a", i % 2 == 0 ? "b" : "c", $"m{i}"), CancellationToken.None)).Message);
        }

        Assert.Equal(appended, await store.ReadAfterAsync(0, 100, CancellationToken.None));
        Assert.Equal(appended.Skip(7), await store.ReadAfterAsync(appended[6].Seq, 100, CancellationToken.None));
    }

    [Fact]
    public async Task Messages_survive_reopening_the_store()
    {
        // The first handle is closed before the second opens, as a process exits before the next one starts: what the
        // reopened store shows was durable, not held by a handle still open.
        IMessageStore first = OpenStore();
        MeshMessage sent = (await first.AppendAsync(Draft("a", "b", "durable") with { ThreadId = "t1", ReplyTo = "msg_x" }, CancellationToken.None)).Message;
        string storeId = first.StoreId;
        await first.DisposeAsync();

        IMessageStore second = Open();
        IReadOnlyList<MeshMessage> inbox = await second.ReadInboxAsync("b", 0, 10, CancellationToken.None);
        Assert.Equal([sent], inbox);
        Assert.Equal(storeId, second.StoreId);
        Assert.Equal(sent.Seq, await second.ReadHeadSeqAsync(CancellationToken.None));
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_message_per_sender()
    {
        IMessageStore store = Open();
        AppendResult first = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), CancellationToken.None);
        AppendResult retry = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), CancellationToken.None);
        AppendResult otherSender = await store.AppendAsync(Draft("z", "b", "once", key: "k1"), CancellationToken.None);

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Message, retry.Message);
        Assert.False(otherSender.Duplicate);
        Assert.Equal(2, (await store.ReadInboxAsync("b", 0, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Concurrent_appends_from_two_handles_never_share_or_skip_a_seq()
    {
        IMessageStore one = Open();
        IMessageStore two = Open();
        Task<AppendResult>[] sends = Enumerable.Range(0, 200)
            .Select(i => (i % 2 == 0 ? one : two).AppendAsync(Draft("a", "b", $"c{i}"), CancellationToken.None).AsTask())
            .ToArray();
        AppendResult[] results = await Task.WhenAll(sends);

        long[] seqs = results.Select(r => r.Message.Seq).Order().ToArray();
        Assert.Equal(seqs.Distinct().Count(), seqs.Length);
        IReadOnlyList<MeshMessage> stored = await one.ReadAfterAsync(0, 1000, CancellationToken.None);
        Assert.Equal(seqs, stored.Select(m => m.Seq));
    }

    [Fact]
    public async Task Tail_yields_existing_then_new_messages_including_another_handles()
    {
        IMessageStore reader = Open();
        IMessageStore writer = Open();
        MeshMessage before = (await writer.AppendAsync(Draft("a", "b", "before"), CancellationToken.None)).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = reader.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await tail.MoveNextAsync());
        Assert.Equal(before, tail.Current);

        ValueTask<bool> next = tail.MoveNextAsync();
        MeshMessage after = (await writer.AppendAsync(Draft("a", "c", "after"), CancellationToken.None)).Message;
        reader.NotifyExternalAppend();
        Assert.True(await next);
        Assert.Equal(after, tail.Current);
    }

    [Fact]
    public async Task Import_into_another_store_keeps_ids_order_and_content_and_skips_known_ids()
    {
        IMessageStore source = Open();
        var exported = new List<MeshMessage>();
        for (int i = 0; i < 5; i++)
        {
            MessageDraft draft = Draft("a", i % 2 == 0 ? "b" : "c", $"m{i}") with { ThreadId = i >= 3 ? "t1" : null, ReplyTo = i == 4 ? exported[3].MessageId : null };
            exported.Add((await source.AppendAsync(draft, CancellationToken.None)).Message);
        }

        IMessageStore target = OpenEmptyStore();
        _opened.Add(target);
        Assert.NotEqual(source.StoreId, target.StoreId);
        MeshMessage resident = (await target.AppendAsync(Draft("z", "b", "already here"), CancellationToken.None)).Message;

        Assert.Equal(3, await target.ImportAsync(exported.Take(3).ToList(), CancellationToken.None));
        Assert.Equal(2, await target.ImportAsync(exported, CancellationToken.None));

        // Ids, parties, payloads, timestamps, thread and reply_to are kept, in order; seqs are the target's own, after its head.
        IReadOnlyList<MeshMessage> stored = await target.ReadAfterAsync(0, 100, CancellationToken.None);
        Assert.Equal(resident, stored[0]);
        List<MeshMessage> imported = [.. stored.Skip(1)];
        Assert.Equal(exported.Select(m => m with { Seq = 0 }), imported.Select(m => m with { Seq = 0 }));
        Assert.All(imported.Zip(imported.Skip(1)), pair => Assert.True(pair.First.Seq < pair.Second.Seq, $"seq {pair.Second.Seq} after {pair.First.Seq}"));
        Assert.True(imported[0].Seq > resident.Seq);
        Assert.Equal(
            [resident.MessageId, .. exported.Where(m => m.ToAgentId == "b").Select(m => m.MessageId)],
            (await target.ReadInboxAsync("b", 0, 100, CancellationToken.None)).Select(m => m.MessageId));
        Assert.Equal(exported, await source.ReadAfterAsync(0, 100, CancellationToken.None));
    }
}
