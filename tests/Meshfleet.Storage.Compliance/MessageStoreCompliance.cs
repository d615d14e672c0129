using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// The semantics every backend of <see cref="IMessageLog"/> keeps. A backend's test class inherits this and says how
/// to open (and reopen) its store; where backends differ, the tests read <see cref="IMessageLog.Traits"/>.
/// </summary>
public abstract class MessageStoreCompliance : IAsyncLifetime
{
    private readonly List<IMessageLog> _opened = [];
    private int _ids;

    /// <summary>Opens the store under test; a second call opens the same store again (as a restart or another process would).</summary>
    protected abstract IMessageLog OpenStore();

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (IMessageLog store in _opened)
        {
            if (store is IAsyncDisposable disposable)
            {
                await disposable.DisposeAsync();
            }
        }
    }

    protected IMessageLog Open()
    {
        IMessageLog store = OpenStore();
        _opened.Add(store);
        return store;
    }

    /// <summary>
    /// Delivers the host's change signal to <paramref name="reader"/> after another handle appended, for a backend whose
    /// traits say it needs one (<see cref="StorageTraits.NeedsExternalChangeSignal"/>).
    /// </summary>
    protected virtual void SignalExternalAppend(IMessageLog reader)
    {
    }

    protected MessageDraft Draft(string from, string to, string payload, string? key = null) =>
        new($"msg_test_{Interlocked.Increment(ref _ids)}_{Guid.NewGuid():N}", from, to, payload, 1_763_942_400_000 + _ids, IdempotencyKey: key);

    [Fact]
    public async Task Append_assigns_strictly_increasing_seqs()
    {
        IMessageLog store = Open();
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
        IMessageLog store = Open();
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
        IMessageLog store = Open();
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
        IMessageLog first = Open();
        MeshMessage sent = (await first.AppendAsync(Draft("a", "b", "durable") with { ThreadId = "t1", ReplyTo = "msg_x" }, CancellationToken.None)).Message;
        IMessageLog second = Open();
        IReadOnlyList<MeshMessage> inbox = await second.ReadInboxAsync("b", 0, 10, CancellationToken.None);
        Assert.Equal([sent], inbox);
        Assert.Equal(first.StoreId, second.StoreId);
    }

    [Fact]
    public async Task Idempotency_key_returns_the_first_message_per_sender()
    {
        IMessageLog store = Open();
        AppendResult first = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), CancellationToken.None);
        AppendResult retry = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), CancellationToken.None);
        AppendResult otherSender = await store.AppendAsync(Draft("z", "b", "once", key: "k1"), CancellationToken.None);

        Assert.True(retry.Duplicate);
        Assert.Equal(first.Message, retry.Message);
        Assert.False(otherSender.Duplicate);
        Assert.Equal(2, (await store.ReadInboxAsync("b", 0, 10, CancellationToken.None)).Count);
    }

    [Fact]
    public async Task Append_many_honours_idempotency_keys_like_append()
    {
        IMessageLog store = Open();
        AppendResult first = await store.AppendAsync(Draft("a", "b", "once", key: "k1"), CancellationToken.None);

        IReadOnlyList<AppendResult> batch = await store.AppendManyAsync(
            [Draft("a", "b", "retried", key: "k1"), Draft("a", "c", "new", key: "k2"), Draft("a", "c", "repeat in batch", key: "k2")],
            CancellationToken.None);

        Assert.Equal(3, batch.Count);
        Assert.True(batch[0].Duplicate);
        Assert.Equal(first.Message, batch[0].Message);
        Assert.False(batch[1].Duplicate);
        Assert.True(batch[2].Duplicate);
        Assert.Equal(batch[1].Message, batch[2].Message);
        Assert.Equal([first.Message], await store.ReadInboxAsync("b", 0, 10, CancellationToken.None));
        Assert.Equal([batch[1].Message], await store.ReadInboxAsync("c", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Concurrent_appends_from_two_handles_never_share_or_skip_a_seq()
    {
        IMessageLog one = Open();
        IMessageLog two = Open();
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
        IMessageLog reader = Open();
        IMessageLog writer = Open();
        MeshMessage before = (await writer.AppendAsync(Draft("a", "b", "before"), CancellationToken.None)).Message;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        await using IAsyncEnumerator<MeshMessage> tail = reader.TailAsync(0, timeout.Token).GetAsyncEnumerator(timeout.Token);

        Assert.True(await tail.MoveNextAsync());
        Assert.Equal(before, tail.Current);

        ValueTask<bool> next = tail.MoveNextAsync();
        MeshMessage after = (await writer.AppendAsync(Draft("a", "c", "after"), CancellationToken.None)).Message;
        if (reader.Traits.NeedsExternalChangeSignal)
        {
            SignalExternalAppend(reader);
        }

        Assert.True(await next);
        Assert.Equal(after, tail.Current);
    }

    [Fact]
    public async Task Import_keeps_order_and_skips_known_ids()
    {
        IMessageLog source = Open();
        var exported = new List<MeshMessage>();
        for (int i = 0; i < 5; i++)
        {
            exported.Add((await source.AppendAsync(Draft("a", "b", $"m{i}"), CancellationToken.None)).Message);
        }

        Assert.Equal(0, await source.ImportAsync(exported, CancellationToken.None));
        IReadOnlyList<MeshMessage> stored = await source.ReadAfterAsync(0, 100, CancellationToken.None);
        Assert.Equal(exported, stored);
    }
}
