using Meshfleet.Core.Agents;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Messaging;

/// <summary>
/// <c>ask</c>: send a question and wait for the reply to it, across processes, without a window in which the reply
/// could slip by. Fails at once when the recipient goes offline while the asker waits.
/// </summary>
public sealed class Questions
{
    private const int MaxTimeoutSeconds = 3600;
    private static readonly TimeSpan PresenceCheck = TimeSpan.FromSeconds(1);
    private readonly Mesh _mesh;
    private readonly AgentRegistry _registry;
    private readonly StreamHub _hub;

    public Questions(Mesh mesh, AgentRegistry registry, StreamHub hub)
    {
        _mesh = mesh;
        _registry = registry;
        _hub = hub;
    }

    public async ValueTask<Exchange> AskAsync(string? fromAgentId, string? toAgentId, string? payload, long? timeoutSeconds, CancellationToken cancellationToken)
    {
        string from = InputRules.AgentId(fromAgentId, "from_agent_id");
        string to = InputRules.AgentId(toAgentId, "to_agent_id");
        if (timeoutSeconds is < 1 or > MaxTimeoutSeconds)
        {
            throw new MeshInputException($"'timeout_seconds' is {timeoutSeconds}; it must be between 1 and {MaxTimeoutSeconds}. Omit it to use the recipient's fleet request timeout.");
        }

        int timeout = (int?)timeoutSeconds
            ?? (await _registry.FleetOfAsync(to, cancellationToken).ConfigureAwait(false))?.RequestTimeoutSeconds
            ?? Fleet.DefaultRequestTimeoutSeconds;
        bool wasOnline = (await _registry.FindAsync(to, cancellationToken).ConfigureAwait(false))?.Status == "online";
        MeshMessage question = (await _mesh.SendAsync(from, to, payload, null, null, null, cancellationToken).ConfigureAwait(false)).Message;

        TimeProvider time = _mesh.Time;
        long started = time.GetTimestamp();
        long cursor = question.Seq;
        while (true)
        {
            // Wake at least every PresenceCheck (to see the recipient go offline), and no later than the deadline.
            TimeSpan left = TimeSpan.FromSeconds(timeout) - time.GetElapsedTime(started);
            TimeSpan sliceLength = TimeSpan.FromTicks(Math.Clamp(left.Ticks, TimeSpan.TicksPerMillisecond, PresenceCheck.Ticks));
            using var slice = new CancellationTokenSource(sliceLength, time);
            using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, slice.Token);
            Task arrival = _hub.WaitForMessageAsync(from, waiting.Token);

            (MeshMessage? reply, cursor) = await FindReplyAsync(from, question.MessageId, cursor, cancellationToken).ConfigureAwait(false);
            if (reply is not null)
            {
                await _mesh.MarkReadAsync([reply], cancellationToken).ConfigureAwait(false);
                return new Exchange(question, reply);
            }

            if (wasOnline && (await _registry.FindAsync(to, cancellationToken).ConfigureAwait(false))?.Status == "offline")
            {
                throw new AskFailedException(
                    $"'{to}' went offline before replying. The question stays in its inbox (message_id {question.MessageId}); " +
                    $"its reply, if it comes back and answers, will land in your inbox with reply_to = {question.MessageId}.");
            }

            if (time.GetElapsedTime(started) >= TimeSpan.FromSeconds(timeout))
            {
                throw new AskFailedException(
                    $"No reply from '{to}' after {timeout} s. The question stays in its inbox (message_id {question.MessageId}); " +
                    $"poll get_inbox(agent_id=\"{from}\") later for a message with reply_to = {question.MessageId}, or ask again with a longer timeout_seconds.");
            }

            try
            {
                await arrival.ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
            {
                // The slice ended: check presence and the deadline, then wait again.
            }
        }
    }

    private async ValueTask<(MeshMessage? Reply, long Cursor)> FindReplyAsync(string asker, string questionId, long cursor, CancellationToken cancellationToken)
    {
        while (true)
        {
            InboxPage page = await _mesh.PeekInboxAsync(asker, cursor, MeshLimits.MaxInboxPage, cancellationToken).ConfigureAwait(false);
            MeshMessage? reply = page.Messages.FirstOrDefault(m => m.ReplyTo == questionId && m.FromAgentId != AgentRegistry.SystemAgentId);
            if (reply is not null || page.Messages.Count < MeshLimits.MaxInboxPage)
            {
                return (reply, page.NextSince);
            }

            cursor = page.NextSince;
        }
    }
}
