using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary><c>ask</c> waits by question id and gets the reply handed over by the delivery path, not read from the store again.</summary>
public sealed class AskHandoverTests
{
    [Fact]
    public async Task Reply_is_handed_over_without_a_second_read_of_the_askers_inbox()
    {
        CountingMessageLog? log = null;
        await using MeshHarness mesh = await MeshHarness.StartAsync(wrapLog: inner => log = new CountingMessageLog(inner));
        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        var looked = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        log!.AfterInboxRead = (agent, _) =>
        {
            if (agent == "lead")
            {
                looked.TrySetResult();
            }

            return ValueTask.CompletedTask;
        };

        Task<Exchange> asking = mesh.Questions.AskAsync("lead", "dev", "ready?", 60, mesh.Timeout).AsTask();
        await looked.Task.WaitAsync(mesh.Timeout);
        MeshMessage question = Assert.Single((await mesh.Mesh.GetInboxAsync("dev", 0, null, mesh.Timeout)).Messages);
        await mesh.SendAsync("dev", "lead", "unrelated chatter");
        MeshMessage reply = await mesh.Mesh.ReplyAsync("dev", question.MessageId, "ready", mesh.Timeout);

        Exchange exchange = await asking.WaitAsync(mesh.Timeout);
        Assert.Equal(reply, exchange.Reply);
        Assert.Equal(1, log.InboxReads("lead"));
        Assert.Equal("read", (await mesh.Mesh.GetStatusAsync(reply.MessageId, mesh.Timeout)).Status);
        Assert.False(mesh.Hub.HasWaiters, "the ask left its waiter in the hub");
    }

    [Fact]
    public async Task Reply_published_between_the_look_and_the_wait_is_not_lost()
    {
        CountingMessageLog? log = null;
        await using MeshHarness mesh = await MeshHarness.StartAsync(wrapLog: inner => log = new CountingMessageLog(inner));
        await mesh.Agents.RegisterAsync("dev", null, null, null, null, mesh.Timeout);
        MeshMessage? reply = null;

        // Right after the ask's look at the store came back empty, and before the ask goes on, the reply is committed and
        // published. A waiter registered after the look would miss it and wait out the whole timeout.
        log!.AfterInboxRead = async (agent, count) =>
        {
            if (agent == "lead" && count == 1)
            {
                MeshMessage question = (await mesh.Store.ReadInboxAsync("dev", 0, 10, mesh.Timeout))[^1];
                var published = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                mesh.Hub.Published += m =>
                {
                    if (m.ReplyTo == question.MessageId)
                    {
                        published.TrySetResult();
                    }
                };
                reply = await mesh.Mesh.ReplyAsync("dev", question.MessageId, "ready", mesh.Timeout);
                await published.Task.WaitAsync(mesh.Timeout);
            }
        };

        Exchange exchange = await mesh.Questions.AskAsync("lead", "dev", "ready?", 60, mesh.Timeout).AsTask().WaitAsync(mesh.Timeout);
        Assert.Equal("answered", exchange.Status);
        Assert.Equal(reply, exchange.Reply);
        Assert.Equal(1, log.InboxReads("lead"));
    }
}
