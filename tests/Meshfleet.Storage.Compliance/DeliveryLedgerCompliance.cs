using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>The semantics every backend of <see cref="IDeliveryLedger"/> keeps, with its message log beside it.</summary>
public abstract class DeliveryLedgerCompliance : StorageCompliance
{
    [Fact]
    public async Task Message_without_delivery_facts_has_no_row_and_an_ack_schedule_makes_one_due_at_its_time()
    {
        StoreHandle store = Open();
        MeshMessage plain = (await store.Log.AppendAsync(Draft("a", "b", "plain"), None)).Message;
        MeshMessage tracked = (await store.Log.AppendAsync(Draft("a", "b", "ack me") with { AckDueAt = 5_000 }, None)).Message;

        Assert.Null(await store.Ledger.GetDeliveryAsync(plain.MessageId, None));
        DeliveryRow row = (await store.Ledger.GetDeliveryAsync(tracked.MessageId, None))!;
        Assert.Equal((tracked.Seq, "a", "b", true, 0, 5_000L), (row.Seq, row.FromAgentId, row.ToAgentId, row.RequiresAck, row.Attempts, row.NextAttemptAt!.Value));
        Assert.Empty(await store.Ledger.ListDueRedeliveriesAsync(4_999, 10, None));
        Assert.Equal(tracked.MessageId, Assert.Single(await store.Ledger.ListDueRedeliveriesAsync(5_000, 10, None)).MessageId);
    }

    [Fact]
    public async Task Delivery_facts_list_in_seq_order_by_page_and_import_under_this_stores_seq_without_overwriting()
    {
        StoreHandle source = Open();
        MeshMessage first = (await source.Log.AppendAsync(Draft("a", "b", "ack me") with { AckDueAt = 100 }, None)).Message;
        await source.Log.AppendAsync(Draft("a", "b", "plain"), None);
        MeshMessage third = (await source.Log.AppendAsync(Draft("a", "b", "pushed"), None)).Message;
        await source.Ledger.RecordPushesAsync([new PushRecord(third.MessageId, third.Seq, "a", "b", 2, 300)], None);
        await source.Ledger.RecordReadAsync([first], 400, None);
        await source.Ledger.AckAsync("b", first.MessageId, 450, None);

        IReadOnlyList<DeliveryRow> all = await source.Ledger.ListDeliveriesAsync(0, 10, None);
        Assert.Equal([first.MessageId, third.MessageId], all.Select(r => r.MessageId));
        Assert.Equal([third.MessageId], (await source.Ledger.ListDeliveriesAsync(first.Seq, 10, None)).Select(r => r.MessageId));
        Assert.Equal([first.MessageId], (await source.Ledger.ListDeliveriesAsync(0, 1, None)).Select(r => r.MessageId));
        Assert.Equal((450L, 400L, 2, 300L), (all[0].AckedAt!.Value, all[0].ReadAt!.Value, all[1].PushedStreams, all[1].FirstPushedAt!.Value));

        // Into another store: the messages get new seqs there, and their delivery facts go with them.
        StoreHandle target = Open();
        await target.Log.AppendAsync(Draft("x", "y", "already here"), None);
        MeshMessage existing = (await target.Log.AppendAsync(Draft("x", "y", "has facts") with { AckDueAt = 900 }, None)).Message;
        Assert.Equal(3, await target.Log.ImportAsync(await source.Log.ReadAfterAsync(0, 10, None), None));
        var moved = new List<DeliveryRow>();
        foreach (DeliveryRow row in all)
        {
            moved.Add(row with { Seq = (await target.Log.GetMessageAsync(row.MessageId, None))!.Seq });
        }

        DeliveryRow clash = all[0] with { MessageId = existing.MessageId, Seq = existing.Seq, AckedAt = 1 };
        Assert.Equal(2, await target.Ledger.ImportDeliveriesAsync([.. moved, clash], None));
        Assert.Equal(moved[0], await target.Ledger.GetDeliveryAsync(first.MessageId, None));
        Assert.Equal(moved[1], await target.Ledger.GetDeliveryAsync(third.MessageId, None));
        Assert.Null((await target.Ledger.GetDeliveryAsync(existing.MessageId, None))!.AckedAt);
        Assert.Equal([existing.MessageId, first.MessageId, third.MessageId], (await target.Ledger.ListDeliveriesAsync(0, 10, None)).Select(r => r.MessageId));
        Assert.Equal(0, await target.Ledger.ImportDeliveriesAsync(moved, None));
    }

    [Fact]
    public async Task Only_the_recipient_acks_the_first_ack_time_stays_and_an_acked_message_is_never_due()
    {
        StoreHandle store = Open();
        MeshMessage tracked = (await store.Log.AppendAsync(Draft("a", "b", "ack me") with { AckDueAt = 100 }, None)).Message;
        MeshMessage untracked = (await store.Log.AppendAsync(Draft("a", "b", "no ack"), None)).Message;

        Assert.Null(await store.Ledger.AckAsync("a", tracked.MessageId, 50, None));
        Assert.Null(await store.Ledger.AckAsync("b", untracked.MessageId, 50, None));
        Assert.Null(await store.Ledger.AckAsync("b", "msg_unknown", 50, None));
        Assert.Equal(60, (await store.Ledger.AckAsync("b", tracked.MessageId, 60, None))!.AckedAt);
        Assert.Equal(60, (await store.Ledger.AckAsync("b", tracked.MessageId, 70, None))!.AckedAt);
        Assert.Empty(await store.Ledger.ListDueRedeliveriesAsync(10_000, 10, None));

        await store.Ledger.RecordAttemptAsync(tracked.MessageId, 3, 200, null, None);
        DeliveryRow row = (await store.Ledger.GetDeliveryAsync(tracked.MessageId, None))!;
        Assert.Equal((0, (long?)null), (row.Attempts, row.NextAttemptAt));
    }

    [Fact]
    public async Task Attempts_reschedule_and_pull_in_moves_only_times_beyond_the_latest()
    {
        StoreHandle store = Open();
        MeshMessage near = (await store.Log.AppendAsync(Draft("a", "b", "near") with { AckDueAt = 100 }, None)).Message;
        MeshMessage far = (await store.Log.AppendAsync(Draft("a", "b", "far") with { AckDueAt = 1_000_000 }, None)).Message;

        await store.Ledger.RecordAttemptAsync(near.MessageId, 1, 300, null, None);
        Assert.Empty(await store.Ledger.ListDueRedeliveriesAsync(299, 10, None));
        Assert.Equal(1, Assert.Single(await store.Ledger.ListDueRedeliveriesAsync(300, 10, None)).Attempts);

        Assert.Equal(1, await store.Ledger.PullInRedeliveriesAsync(latest: 10_000, now: 400, None));
        Assert.Equal([near.MessageId, far.MessageId], (await store.Ledger.ListDueRedeliveriesAsync(400, 10, None)).Select(r => r.MessageId));
        Assert.Equal(0, await store.Ledger.PullInRedeliveriesAsync(latest: 10_000, now: 500, None));
    }

    [Fact]
    public async Task Dead_letter_stores_its_notice_once_and_never_after_an_ack()
    {
        StoreHandle store = Open();
        MeshMessage lost = (await store.Log.AppendAsync(Draft("a", "b", "never acked") with { AckDueAt = 100 }, None)).Message;
        MeshMessage acked = (await store.Log.AppendAsync(Draft("a", "b", "acked") with { AckDueAt = 100 }, None)).Message;
        await store.Ledger.AckAsync("b", acked.MessageId, 150, None);

        MeshMessage notice = (await store.Ledger.DeadLetterAsync(lost.MessageId, 200, Draft("meshfleet", "a", "dead letter"), None))!;
        Assert.True(notice.Seq > acked.Seq);
        Assert.Equal(notice, await store.Log.GetMessageAsync(notice.MessageId, None));
        Assert.Null(await store.Ledger.DeadLetterAsync(lost.MessageId, 300, Draft("meshfleet", "a", "again"), None));
        Assert.Null(await store.Ledger.DeadLetterAsync(acked.MessageId, 300, Draft("meshfleet", "a", "after ack"), None));

        Assert.Equal([notice], await store.Log.ReadInboxAsync("a", 0, 10, None));
        DeliveryRow row = (await store.Ledger.GetDeliveryAsync(lost.MessageId, None))!;
        Assert.Equal((200L, (long?)null), (row.DeadLetteredAt!.Value, row.NextAttemptAt));
        Assert.Empty(await store.Ledger.ListDueRedeliveriesAsync(10_000, 10, None));
    }

    [Fact]
    public async Task Pushes_add_up_and_notified_sessions_count_while_only_the_first_read_counts()
    {
        StoreHandle store = Open();
        MeshMessage message = (await store.Log.AppendAsync(Draft("a", "b", "watched"), None)).Message;
        await store.Ledger.RecordPushesAsync([new PushRecord(message.MessageId, message.Seq, "a", "b", 2, 10)], None);
        await store.Ledger.RecordPushesAsync([new PushRecord(message.MessageId, message.Seq, "a", "b", 1, 20)], None);
        await store.Ledger.RecordNotifiedAsync(message, 30, None);
        await store.Ledger.RecordNotifiedAsync(message, 40, None);
        await store.Ledger.RecordReadAsync([message], 50, None);
        await store.Ledger.RecordReadAsync([message], 60, None);
        await store.Ledger.RecordPushesAsync([], None);
        await store.Ledger.RecordReadAsync([], 70, None);

        DeliveryRow row = (await store.Ledger.GetDeliveryAsync(message.MessageId, None))!;
        Assert.Equal((3, 10L, 20L), (row.PushedStreams, row.FirstPushedAt!.Value, row.LastPushedAt!.Value));
        Assert.Equal((2, 30L, 40L, 50L), (row.NotifiedSessions, row.FirstNotifiedAt!.Value, row.LastNotifiedAt!.Value, row.ReadAt!.Value));
        Assert.False(row.RequiresAck);
    }

    [Fact]
    public async Task Unseen_lists_the_agents_messages_nobody_was_woken_with_or_read_within_the_bounds()
    {
        StoreHandle store = Open();
        MeshMessage old = (await store.Log.AppendAsync(Draft("a", "b", "old") with { Timestamp = 100 }, None)).Message;
        MeshMessage notified = (await store.Log.AppendAsync(Draft("a", "b", "notified") with { Timestamp = 200 }, None)).Message;
        MeshMessage read = (await store.Log.AppendAsync(Draft("a", "b", "read") with { Timestamp = 200 }, None)).Message;
        MeshMessage pushedOnly = (await store.Log.AppendAsync(Draft("a", "b", "pushed") with { Timestamp = 200 }, None)).Message;
        MeshMessage unseen = (await store.Log.AppendAsync(Draft("a", "b", "unseen") with { Timestamp = 200 }, None)).Message;
        await store.Log.AppendAsync(Draft("a", "c", "someone else's") with { Timestamp = 200 }, None);
        MeshMessage later = (await store.Log.AppendAsync(Draft("a", "b", "after through") with { Timestamp = 200 }, None)).Message;
        await store.Ledger.RecordNotifiedAsync(notified, 300, None);
        await store.Ledger.RecordReadAsync([read], 300, None);
        await store.Ledger.RecordPushesAsync([new PushRecord(pushedOnly.MessageId, pushedOnly.Seq, "a", "b", 1, 300)], None);

        Assert.Equal([pushedOnly, unseen], await store.Ledger.ListUnseenAsync("b", fromTimestamp: 150, throughSeq: later.Seq - 1, 10, None));
        Assert.Equal([old], await store.Ledger.ListUnseenAsync("b", fromTimestamp: 0, throughSeq: later.Seq, 1, None));
    }

    [Fact]
    public async Task Delivery_state_survives_closing_and_reopening_the_store()
    {
        StoreHandle first = Open();
        MeshMessage tracked = (await first.Log.AppendAsync(Draft("a", "b", "ack me") with { AckDueAt = 100 }, None)).Message;
        await first.Ledger.RecordReadAsync([tracked], 50, None);
        await first.CloseAsync();

        StoreHandle second = Reopen(first);
        DeliveryRow row = (await second.Ledger.GetDeliveryAsync(tracked.MessageId, None))!;
        Assert.Equal((true, 100L, 50L), (row.RequiresAck, row.NextAttemptAt!.Value, row.ReadAt!.Value));
    }
}
