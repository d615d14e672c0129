using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Storage.Compliance;
using Xunit;

namespace Meshfleet.Storage.Nats.Tests;

/// <summary>The message-log compliance suite against a real nats-server, plus what is particular to JetStream.</summary>
public sealed class NatsMessageStoreTests(NatsServerFixture fixture) : MessageLogCompliance, IClassFixture<NatsServerFixture>
{
    protected override StoreFactory CreateFactory() => new NatsStoreFactory(fixture);

    [Fact]
    public async Task Idempotency_key_holds_across_connections_whatever_the_message_id()
    {
        // Each send gets a fresh message id, so JetStream's Nats-Msg-Id window cannot be what de-duplicates: the key's
        // bucket is, and it outlives that window.
        StoreHandle one = Open();
        StoreHandle two = Reopen(one);
        AppendResult[] results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => (i % 2 == 0 ? one : two).Log.AppendAsync(Draft("a", "b", "once", key: "k-shared"), None).AsTask()));

        Assert.Single(results, r => !r.Duplicate);
        Assert.All(results, r => Assert.Equal(results[0].Message, r.Message));
        Assert.Single(await one.Log.ReadInboxAsync("b", 0, 10, None));
        Assert.Equal(TimeSpan.FromDays(7), one.Traits.IdempotencyWindow);
    }

    [Fact]
    public async Task Agent_ids_with_dots_and_underscores_get_inboxes_of_their_own()
    {
        IMessageLog store = Open().Log;
        MeshMessage dotted = (await store.AppendAsync(Draft("a", "x.y", "dotted"), None)).Message;
        MeshMessage underscored = (await store.AppendAsync(Draft("a", "x_dy", "underscored"), None)).Message;
        MeshMessage plain = (await store.AppendAsync(Draft("a", "x", "plain"), None)).Message;

        Assert.Equal([dotted], await store.ReadInboxAsync("x.y", 0, 10, None));
        Assert.Equal([underscored], await store.ReadInboxAsync("x_dy", 0, 10, None));
        Assert.Equal([plain], await store.ReadInboxAsync("x", 0, 10, None));
    }

    [Fact]
    public async Task An_ack_racing_the_push_finds_the_schedule_the_append_made()
    {
        // The ack schedule is written before the message is published, so whoever sees the message can ack it at once.
        StoreHandle handle = Open();
        MeshMessage sent = (await handle.Log.AppendAsync(Draft("a", "b", "ack me") with { AckDueAt = 1_000 }, None)).Message;

        Core.Delivery.DeliveryRow? acked = await handle.Ledger.AckAsync("b", sent.MessageId, 2_000, None);
        Assert.NotNull(acked);
        Assert.Equal(sent.Seq, acked.Seq);
        Assert.Empty(await handle.Ledger.ListDueRedeliveriesAsync(long.MaxValue, 10, None));
    }
}
