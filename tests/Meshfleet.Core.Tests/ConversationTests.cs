using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>reply, ask and the long poll, on a fake clock.</summary>
public sealed class ConversationTests
{
    [Fact]
    public async Task Reply_goes_to_the_sender_with_reply_to_and_the_thread()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        MeshMessage question = await mesh.SendAsync("lead", "dev", "status?");
        MeshMessage reply = await mesh.Mesh.ReplyAsync("dev", question.MessageId, "green", mesh.Timeout);

        Assert.Equal("lead", reply.ToAgentId);
        Assert.Equal(question.MessageId, reply.ReplyTo);
        Assert.Equal(question.MessageId, reply.ThreadId);
        MeshMessage second = await mesh.Mesh.ReplyAsync("lead", reply.MessageId, "thanks", mesh.Timeout);
        Assert.Equal(question.MessageId, second.ThreadId);

        MeshInputException error = await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.ReplyAsync("qa", question.MessageId, "me too", mesh.Timeout).AsTask());
        Assert.Contains("your own inbox", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Long_poll_returns_when_the_first_message_lands_and_not_for_others_mail()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        Task leadWaits = AskerWaitsAsync(mesh);
        Task<InboxPage> polling = mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout, waitSeconds: 60).AsTask();
        await leadWaits;

        // Looked at as the hub publishes dev's message: had it woken lead's waiter, the hub would have dropped that waiter
        // before raising Published (the poller could only register again after another store read, on another thread).
        // A poller that woke and found nothing would just wait again, so the page alone could not tell.
        var leadStillWaited = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Hub.Published += message =>
        {
            if (message.ToAgentId == "dev")
            {
                leadStillWaited.TrySetResult(mesh.Hub.HasWaiters);
            }
        };
        await mesh.SendAsync("x", "dev", "not for lead");
        Assert.True(await leadStillWaited.Task.WaitAsync(mesh.Timeout), "mail for dev woke lead's long poll");
        Assert.False(polling.IsCompleted);

        MeshMessage mine = await mesh.SendAsync("x", "lead", "for lead");
        InboxPage page = await polling.WaitAsync(mesh.Timeout);
        Assert.Equal([mine], page.Messages);
        Assert.Equal(mine.Seq, page.NextSince);
    }

    [Fact]
    public async Task Long_poll_and_ask_leave_no_waiter_in_the_hub_when_they_return()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        Task leadWaits = AskerWaitsAsync(mesh);
        Task<InboxPage> polling = mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout, waitSeconds: 60).AsTask();
        await leadWaits;
        await mesh.SendAsync("x", "lead", "for lead");
        Assert.Single((await polling.WaitAsync(mesh.Timeout)).Messages);

        // A registration left behind stays until the agent's next message and keeps HasWaiters true, which makes a
        // process that does not hold the port poll the store every few milliseconds meanwhile.
        Assert.False(mesh.Hub.HasWaiters, "the long poll left its waiter in the hub");

        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        Task askerWaits = AskerWaitsAsync(mesh);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 60, mesh.Timeout).AsTask();
        await askerWaits;
        MeshMessage question = Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);
        await mesh.Mesh.ReplyAsync("dev", question.MessageId, "ready", mesh.Timeout);
        Assert.Equal("answered", (await asking.WaitAsync(mesh.Timeout)).Status);
        Assert.False(mesh.Hub.HasWaiters, "the ask left its waiter in the hub");
    }

    [Fact]
    public async Task Long_poll_returns_empty_when_the_wait_ends()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        Task<InboxPage> polling = mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout, waitSeconds: 5).AsTask();
        Assert.False(polling.IsCompleted);
        mesh.Time.Advance(TimeSpan.FromSeconds(5));
        InboxPage page = await polling.WaitAsync(mesh.Timeout);
        Assert.Empty(page.Messages);
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout, waitSeconds: 301).AsTask());
    }

    [Fact]
    public async Task Ask_returns_the_reply_to_its_question()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        Task questionArrives = mesh.Hub.WaitForMessageAsync("dev", mesh.Timeout);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 60, mesh.Timeout).AsTask();
        await questionArrives;
        MeshMessage question = Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);

        await mesh.SendAsync("dev", "lead", "unrelated chatter");
        MeshMessage reply = await mesh.Mesh.ReplyAsync("dev", question.MessageId, "ready", mesh.Timeout);

        Exchange exchange = await asking.WaitAsync(mesh.Timeout);
        Assert.Equal(question, exchange.Question);
        Assert.Equal(reply, exchange.Reply);
    }

    [Fact]
    public async Task Ask_times_out_with_the_question_id_and_the_question_stays()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.SendAsync("lead", "dev", "earlier mail makes dev a known agent");
        Task askerWaits = AskerWaitsAsync(mesh);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 5, mesh.Timeout).AsTask();
        await askerWaits;
        MeshMessage question = (await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages[^1];

        mesh.Time.Advance(TimeSpan.FromSeconds(5));

        AskFailedException error = await Assert.ThrowsAsync<AskFailedException>(() => asking.WaitAsync(mesh.Timeout));
        Assert.Contains("within 5 s", error.Message, StringComparison.Ordinal);
        Assert.Contains(question.MessageId, error.Message, StringComparison.Ordinal);
        Assert.Equal(2, (await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages.Count);
    }

    [Fact]
    public async Task Ask_longer_than_one_call_returns_waiting_and_resumes_without_resending()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        Task askerWaits = AskerWaitsAsync(mesh);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 600, mesh.Timeout, maxSlice: TimeSpan.FromSeconds(50)).AsTask();
        await askerWaits;
        AdvanceInSteps(mesh, TimeSpan.FromSeconds(50));

        Exchange waiting = await asking.WaitAsync(mesh.Timeout);
        Assert.Equal("waiting", waiting.Status);
        Assert.Null(waiting.Reply);
        Assert.Contains($"{{\"message_id\":\"{waiting.Question.MessageId}\"}}", waiting.Note, StringComparison.Ordinal);

        // The answer comes while nobody waits: it stays in the inbox, and the resumed wait finds it at once.
        MeshMessage reply = await mesh.Mesh.ReplyAsync("dev", waiting.Question.MessageId, "ready", mesh.Timeout);
        Exchange answered = await mesh.Questions.ResumeAsync("lead", waiting.Question.MessageId, 600, mesh.Timeout, TimeSpan.FromSeconds(50));
        Assert.Equal("answered", answered.Status);
        Assert.Equal(reply, answered.Reply);
        Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);
        Assert.Equal("read", (await mesh.Mesh.GetStatusAsync(reply.MessageId, mesh.Timeout)).Status);
    }

    [Fact]
    public async Task Resumed_ask_keeps_the_questions_own_deadline()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        MeshMessage question = await mesh.SendAsync("lead", "dev", "ready?");
        mesh.Time.Advance(TimeSpan.FromSeconds(120));

        AskFailedException error = await Assert.ThrowsAsync<AskFailedException>(() => mesh.Questions.ResumeAsync("lead", question.MessageId, 100, mesh.Timeout, TimeSpan.FromSeconds(50)).AsTask());
        Assert.Contains("within 100 s", error.Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Questions.ResumeAsync("dev", question.MessageId, 100, mesh.Timeout).AsTask());
    }

    [Fact]
    public async Task Ask_to_an_unknown_agent_fails_at_once_with_the_closest_id()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("reviewer", null, null, null, null, mesh.Timeout);

        AskFailedException error = await Assert.ThrowsAsync<AskFailedException>(() => mesh.Questions.AskAsync("lead", "reveiwer", "ready?", 600, mesh.Timeout).AsTask());
        Assert.Contains("did you mean 'reviewer'?", error.Message, StringComparison.OrdinalIgnoreCase);
        Assert.Empty((await mesh.Mesh.GetInboxAsync("reveiwer", 0, null, mesh.Timeout)).Messages);
        Assert.Null(await mesh.Mesh.UnknownRecipientHintAsync("reviewer", mesh.Timeout));
        await mesh.SendAsync("lead", "newcomer", "welcome");
        Assert.Null(await mesh.Mesh.UnknownRecipientHintAsync("newcomer", mesh.Timeout));
    }

    [Fact]
    public async Task Reading_records_read_once_and_removes_nothing()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        MeshMessage message = await mesh.SendAsync("lead", "dev", "hello");
        Assert.Equal("stored", (await mesh.Mesh.GetStatusAsync(message.MessageId, mesh.Timeout)).Status);
        await mesh.Mesh.PeekInboxAsync("dev", 0, null, mesh.Timeout);
        Assert.Equal("stored", (await mesh.Mesh.GetStatusAsync(message.MessageId, mesh.Timeout)).Status);

        await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout);
        long firstRead = mesh.Time.GetUtcNow().ToUnixTimeMilliseconds();
        mesh.Time.Advance(TimeSpan.FromSeconds(3));
        await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout);

        Core.Delivery.DeliveryStatus status = await mesh.Mesh.GetStatusAsync(message.MessageId, mesh.Timeout);
        Assert.Equal("read", status.Status);
        Assert.Equal(firstRead, status.ReadAt);
        Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);
    }

    [Fact]
    public async Task Ask_uses_the_recipients_fleet_timeout_and_fails_at_once_when_it_goes_offline()
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.CreateFleetAsync("crew", null, 600, 10, mesh.Timeout);
        await mesh.Agents.RegisterAsync("dev", null, null, null, "crew", mesh.Timeout);
        Task askerWaits = AskerWaitsAsync(mesh);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", null, mesh.Timeout).AsTask();
        await askerWaits;

        // Past dev's heartbeat timeout (10 s) but far from the fleet's request timeout (600 s).
        mesh.Time.Advance(TimeSpan.FromSeconds(11));
        AskFailedException error = await Assert.ThrowsAsync<AskFailedException>(() => asking.WaitAsync(mesh.Timeout));
        Assert.Contains("went offline", error.Message, StringComparison.Ordinal);
    }

    /// <summary>Moves the fake clock in presence-check steps, so each of the ask's one-second slices ends in turn.</summary>
    private static void AdvanceInSteps(MeshHarness mesh, TimeSpan total)
    {
        for (TimeSpan moved = TimeSpan.Zero; moved < total; moved += TimeSpan.FromSeconds(1))
        {
            mesh.Time.Advance(TimeSpan.FromSeconds(1));
        }
    }

    /// <summary>Completes once a waiter registers with the hub: the ask's first wait for its reply (its clock has started), or a long poll's.</summary>
    private static Task AskerWaitsAsync(MeshHarness mesh)
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Hub.WaitersChanged += () => waiting.TrySetResult();
        return waiting.Task.WaitAsync(mesh.Timeout);
    }
}
