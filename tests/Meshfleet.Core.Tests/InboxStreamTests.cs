using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.InMemory;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>The seam between replay from the store and live push, over the in-memory backend.</summary>
public sealed class InboxStreamTests : IAsyncLifetime
{
    private readonly CancellationTokenSource _timeout = new(TimeSpan.FromSeconds(30));
    private InMemoryMessageLog _store = null!;
    private StreamHub _hub = null!;
    private Mesh _mesh = null!;
    private Task _pump = Task.CompletedTask;

    public async Task InitializeAsync()
    {
        var backend = new InMemoryBackend(TimeProvider.System);
        _store = backend.OpenLog();
        _hub = new StreamHub(new StreamHubOptions { SubscriberBuffer = 10_000 });
        _mesh = new Mesh(_store, backend.Directory, backend.Ledger, _hub, new MeshLimits(), new RetryPolicy(), TimeProvider.System);
        await Task.CompletedTask;
    }

    public async Task DisposeAsync()
    {
        await _timeout.CancelAsync();
        await _pump;
        await _store.DisposeAsync();
        _timeout.Dispose();
    }

    private async Task StartPumpAsync() => _pump = await new DeliveryPump(_store, _hub).StartAsync(_timeout.Token);

    private async Task<MeshMessage> SendAsync(string to, string payload) =>
        (await _mesh.SendAsync("a", to, payload, null, null, null, _timeout.Token)).Message;

    [Fact]
    public async Task Stream_replays_after_cursor_then_goes_live_without_gap_or_duplicate()
    {
        var sent = new List<MeshMessage>();
        for (int i = 0; i < 5; i++)
        {
            sent.Add(await SendAsync("b", $"old {i}"));
        }

        await StartPumpAsync();
        using InboxStream stream = _mesh.OpenStream("b", sent[1].Seq)!;
        await using IAsyncEnumerator<InboxEvent> reader = stream.ReadAsync(_timeout.Token).GetAsyncEnumerator(_timeout.Token);
        var received = new List<MeshMessage>();
        for (int i = 0; i < 3; i++)
        {
            Assert.True(await reader.MoveNextAsync());
            received.Add(reader.Current.Message);
        }

        for (int i = 0; i < 3; i++)
        {
            sent.Add(await SendAsync("b", $"new {i}"));
            Assert.True(await reader.MoveNextAsync());
            received.Add(reader.Current.Message);
        }

        Assert.Equal(sent.Skip(2), received);
    }

    [Fact]
    public async Task Messages_sent_while_replaying_arrive_exactly_once_in_order()
    {
        for (int i = 0; i < 300; i++)
        {
            await SendAsync("b", $"backlog {i}");
        }

        await StartPumpAsync();
        using InboxStream stream = _mesh.OpenStream("b", 0)!;
        Task<List<MeshMessage>> sending = Task.Run(async () =>
        {
            var live = new List<MeshMessage>();
            for (int i = 0; i < 200; i++)
            {
                live.Add(await SendAsync(i % 3 == 0 ? "c" : "b", $"live {i}"));
            }

            return live;
        });

        int expected = 300 + Enumerable.Range(0, 200).Count(i => i % 3 != 0);
        var received = new List<long>();
        await foreach (InboxEvent item in stream.ReadAsync(_timeout.Token))
        {
            received.Add(item.Message.Seq);
            if (received.Count == expected)
            {
                break;
            }
        }

        await sending;

        IReadOnlyList<MeshMessage> stored = await _store.ReadInboxAsync("b", 0, 1000, _timeout.Token);
        Assert.Equal(stored.Select(m => m.Seq), received);
    }

    [Fact]
    public async Task Cursor_at_the_store_head_skips_what_it_already_has_and_goes_live_in_order()
    {
        MeshMessage first = await SendAsync("b", "one");
        await SendAsync("c", "for someone else");
        MeshMessage second = await SendAsync("b", "two");
        await StartPumpAsync();
        using InboxStream stream = _mesh.OpenStream("b", second.Seq)!;
        await using IAsyncEnumerator<InboxEvent> reader = stream.ReadAsync(_timeout.Token).GetAsyncEnumerator(_timeout.Token);
        ValueTask<bool> next = reader.MoveNextAsync();
        MeshMessage third = await SendAsync("b", "three");
        Assert.True(await next);
        InboxEvent thirdEvent = reader.Current;

        await SendAsync("c", "for someone else again");
        MeshMessage fourth = await SendAsync("b", "four");
        Assert.True(await reader.MoveNextAsync());
        InboxEvent fourthEvent = reader.Current;

        // Neither stored message comes (the cursor already has them), nor c's mail; the live ones come once each, as sent.
        Assert.Equal([third, fourth], [thirdEvent.Message, fourthEvent.Message]);
        Assert.False(thirdEvent.Redelivery || fourthEvent.Redelivery);
        Assert.Equal(["three", "four"], [thirdEvent.Message.Payload, fourthEvent.Message.Payload]);
        Assert.Equal(fourth.Seq, stream.LastSeq);
        Assert.Equal([first, second, third, fourth], await _store.ReadInboxAsync("b", 0, 10, _timeout.Token));
    }
}
