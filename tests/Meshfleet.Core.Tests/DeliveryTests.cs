using System.Text.Json;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>requires_ack: redelivery on the backoff schedule, stop on ack, dead letter; and delivery status.</summary>
public sealed class DeliveryTests
{
    [Fact]
    public void Backoff_doubles_from_the_base_and_is_capped_with_bounded_jitter()
    {
        var policy = new RetryPolicy { BaseDelay = TimeSpan.FromSeconds(1), MaxDelay = TimeSpan.FromSeconds(10), Jitter = 0.2 };
        var random = new Random(7);
        double[] expected = [1, 2, 4, 8, 10, 10];
        for (int attempt = 1; attempt <= expected.Length; attempt++)
        {
            double seconds = policy.DelayBefore(attempt, random).TotalSeconds;
            Assert.InRange(seconds, expected[attempt - 1] * 0.8, expected[attempt - 1] * 1.2);
        }
    }

    [Fact]
    public async Task Unacked_message_is_redelivered_on_schedule_and_stops_after_ack()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        using InboxSubscription stream = mesh.Hub.TryOpen("worker")!;
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);

        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
        mesh.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
        InboxEvent redelivered = await NextRedeliveryAsync(stream, mesh.Timeout);
        Assert.Equal(sent, redelivered.Message);

        DeliveryStatus afterFirst = await mesh.Mesh.GetStatusAsync(sent.MessageId, mesh.Timeout);
        Assert.Equal(1, afterFirst.Attempts);
        Assert.Equal(mesh.Time.GetUtcNow().AddSeconds(2).ToUnixTimeMilliseconds(), afterFirst.NextAttemptAt);

        mesh.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
        mesh.Time.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        DeliveryStatus acked = await mesh.Mesh.AckAsync("worker", sent.MessageId, mesh.Timeout);
        Assert.Equal("acked", acked.Status);
        Assert.Null(acked.NextAttemptAt);
        mesh.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
    }

    [Fact]
    public async Task Message_never_acked_is_dead_lettered_and_the_sender_is_told()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync(new RetryPolicy { MaxAttempts = 3, Jitter = 0 });
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);

        for (int round = 0; round < 4; round++)
        {
            mesh.Time.Advance(TimeSpan.FromSeconds(60));
            Assert.Equal(1, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));
        }

        DeliveryStatus status = await mesh.Mesh.GetStatusAsync(sent.MessageId, mesh.Timeout);
        Assert.Equal("dead_lettered", status.Status);
        Assert.Equal(3, status.Attempts);
        mesh.Time.Advance(TimeSpan.FromMinutes(10));
        Assert.Equal(0, await mesh.Redeliverer.RunDueAsync(mesh.Timeout));

        InboxPage bossInbox = await mesh.Mesh.GetInboxAsync("boss", 0, null, mesh.Timeout);
        MeshMessage notice = Assert.Single(bossInbox.Messages);
        Assert.Equal("meshfleet", notice.FromAgentId);
        Assert.Equal(sent.MessageId, notice.ReplyTo);
        JsonElement payload = JsonDocument.Parse(notice.Payload).RootElement;
        Assert.Equal("dead_letter", payload.GetProperty("type").GetString());
        Assert.Equal(sent.MessageId, payload.GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task Status_goes_from_stored_to_pushed_with_the_number_of_streams()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        var log = new PushLog(mesh.Ledger, mesh.Time);
        MeshMessage quiet = await mesh.SendAsync("a", "nobody-listening", "hello");
        Assert.Equal("stored", (await mesh.Mesh.GetStatusAsync(quiet.MessageId, mesh.Timeout)).Status);

        using InboxSubscription one = mesh.Hub.TryOpen("b")!;
        using InboxSubscription two = mesh.Hub.TryOpen("b")!;
        MeshMessage heard = await mesh.SendAsync("a", "b", "hello");
        await one.Live.WaitToReadAsync(mesh.Timeout);
        log.Record(heard, 2);
        Assert.Equal(1, await log.FlushAsync(mesh.Timeout));

        DeliveryStatus status = await mesh.Mesh.GetStatusAsync(heard.MessageId, mesh.Timeout);
        Assert.Equal("pushed", status.Status);
        Assert.Equal(2, status.PushedStreams);
        Assert.NotNull(status.FirstPushedAt);
    }

    [Fact]
    public async Task Ack_by_someone_other_than_the_recipient_is_refused()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        MeshMessage sent = await mesh.SendAsync("boss", "worker", "do it", requiresAck: true);
        MeshInputException error = await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.AckAsync("intruder", sent.MessageId, mesh.Timeout).AsTask());
        Assert.Contains("only its recipient", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.AckAsync("worker", "msg_nope", mesh.Timeout).AsTask());
    }

    private static async Task<InboxEvent> NextRedeliveryAsync(InboxSubscription stream, CancellationToken cancellationToken)
    {
        while (true)
        {
            InboxEvent item = await stream.Live.ReadAsync(cancellationToken);
            if (item.Redelivery)
            {
                return item;
            }
        }
    }
}
