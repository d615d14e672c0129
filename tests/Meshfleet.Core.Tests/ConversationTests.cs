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
        Task othersWaiter = mesh.Hub.WaitForMessageAsync("dev", mesh.Timeout);
        Task<InboxPage> polling = mesh.Mesh.GetInboxAsync("lead", 0, null, mesh.Timeout, waitSeconds: 60).AsTask();

        await mesh.SendAsync("x", "dev", "not for lead");
        await othersWaiter;
        Assert.False(polling.IsCompleted);

        MeshMessage mine = await mesh.SendAsync("x", "lead", "for lead");
        InboxPage page = await polling.WaitAsync(mesh.Timeout);
        Assert.Equal([mine], page.Messages);
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
        Task askerWaits = AskerWaitsAsync(mesh);
        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 5, mesh.Timeout).AsTask();
        await askerWaits;
        MeshMessage question = Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);

        mesh.Time.Advance(TimeSpan.FromSeconds(5));

        AskFailedException error = await Assert.ThrowsAsync<AskFailedException>(() => asking.WaitAsync(mesh.Timeout));
        Assert.Contains("after 5 s", error.Message, StringComparison.Ordinal);
        Assert.Contains(question.MessageId, error.Message, StringComparison.Ordinal);
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

    /// <summary>Completes once the ask registers its first wait for the reply, i.e. once its clock has started.</summary>
    private static Task AskerWaitsAsync(MeshHarness mesh)
    {
        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        mesh.Hub.WaitersChanged += () => waiting.TrySetResult();
        return waiting.Task.WaitAsync(mesh.Timeout);
    }
}
