using Meshfleet.Core.Agents;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Messaging;

/// <summary>
/// <c>ask</c>: send a question and wait for the reply to it, across processes, without a window in which the reply
/// could slip by. Fails at once when the recipient is unknown or goes offline while the asker waits. One call waits at
/// most its slice (below the clients' tool-call timeouts); a longer wait ends the call with "waiting" and is resumed by
/// asking again with the question's message_id, until the question's own timeout, counted from when it was sent.
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

    /// <summary>Sends a question and waits for its reply, for at most <paramref name="maxSlice"/> in this call (unlimited when null).</summary>
    public async ValueTask<Exchange> AskAsync(string? fromAgentId, string? toAgentId, string? payload, long? timeoutSeconds, CancellationToken cancellationToken, TimeSpan? maxSlice = null)
    {
        string from = InputRules.AgentId(fromAgentId, "from_agent_id");
        string to = InputRules.AgentId(toAgentId, "to_agent_id");
        CheckTimeout(timeoutSeconds);
        if (await _mesh.UnknownRecipientHintAsync(to, cancellationToken).ConfigureAwait(false) is { } hint)
        {
            throw new AskFailedException($"{hint} Nobody would answer, so ask did not send the question; register the agent first, or ask one that exists.");
        }

        int timeout = await TimeoutForAsync(to, timeoutSeconds, cancellationToken).ConfigureAwait(false);
        bool wasOnline = (await _registry.FindAsync(to, cancellationToken).ConfigureAwait(false))?.Status == "online";
        MeshMessage question = (await _mesh.SendAsync(from, to, payload, null, null, null, cancellationToken).ConfigureAwait(false)).Message;
        return await WaitForReplyAsync(from, question, timeout, wasOnline, maxSlice, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Goes on waiting for the reply to a question asked earlier, without sending it again.</summary>
    public async ValueTask<Exchange> ResumeAsync(string? fromAgentId, string? messageId, long? timeoutSeconds, CancellationToken cancellationToken, TimeSpan? maxSlice = null)
    {
        string from = InputRules.AgentId(fromAgentId, "from_agent_id");
        CheckTimeout(timeoutSeconds);
        string id = InputRules.OptionalReference(messageId, "message_id")
            ?? throw new MeshInputException("'message_id' is required to resume: pass the message_id of the question that ask returned.");
        MeshMessage question = await _mesh.Store.GetMessageAsync(id, cancellationToken).ConfigureAwait(false)
            ?? throw new MeshInputException($"There is no message '{id}'. Pass the question's message_id exactly as ask returned it.");
        if (question.FromAgentId != from)
        {
            throw new MeshInputException($"Message {id} was sent by '{question.FromAgentId}', not by '{from}': resume only your own questions.");
        }

        int timeout = await TimeoutForAsync(question.ToAgentId, timeoutSeconds, cancellationToken).ConfigureAwait(false);
        bool wasOnline = (await _registry.FindAsync(question.ToAgentId, cancellationToken).ConfigureAwait(false))?.Status == "online";
        return await WaitForReplyAsync(from, question, timeout, wasOnline, maxSlice, cancellationToken).ConfigureAwait(false);
    }

    private static void CheckTimeout(long? timeoutSeconds)
    {
        if (timeoutSeconds is < 1 or > MaxTimeoutSeconds)
        {
            throw new MeshInputException($"'timeout_seconds' is {timeoutSeconds}; it must be between 1 and {MaxTimeoutSeconds}. Omit it to use the recipient's fleet request timeout.");
        }
    }

    private async ValueTask<int> TimeoutForAsync(string to, long? timeoutSeconds, CancellationToken cancellationToken) =>
        (int?)timeoutSeconds
        ?? (await _registry.FleetOfAsync(to, cancellationToken).ConfigureAwait(false))?.RequestTimeoutSeconds
        ?? Fleet.DefaultRequestTimeoutSeconds;

    private async ValueTask<Exchange> WaitForReplyAsync(string from, MeshMessage question, int timeout, bool wasOnline, TimeSpan? maxSlice, CancellationToken cancellationToken)
    {
        string to = question.ToAgentId;
        TimeProvider time = _mesh.Time;
        long started = time.GetTimestamp();

        // The question's timeout runs from when it was sent, so resumed waits share one deadline.
        TimeSpan deadline = TimeSpan.FromSeconds(timeout) - (time.GetUtcNow() - DateTimeOffset.FromUnixTimeMilliseconds(question.Timestamp));
        TimeSpan callLimit = maxSlice is { } slice && slice < deadline ? slice : deadline;

        // Register for the hand-over before the one look at the store: a reply committed after the look is published
        // after it too, so it reaches this waiter with the message itself and is never read from the store again.
        using var waiting = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<MeshMessage> handedOver = _hub.WaitForReplyAsync(from, question.MessageId, waiting.Token);
        try
        {
            MeshMessage? reply = await FindReplyAsync(from, question.MessageId, question.Seq, cancellationToken).ConfigureAwait(false);
            while (reply is null)
            {
                if (wasOnline && (await _registry.FindAsync(to, cancellationToken).ConfigureAwait(false))?.Status == "offline")
                {
                    throw new AskFailedException(
                        $"'{to}' went offline before replying. The question stays in its inbox (message_id {question.MessageId}); " +
                        $"its reply, if it comes back and answers, will land in your inbox with reply_to = {question.MessageId}.");
                }

                TimeSpan elapsed = time.GetElapsedTime(started);
                if (elapsed >= deadline)
                {
                    throw new AskFailedException(
                        $"No reply from '{to}' within {timeout} s of asking. The question stays in its inbox (message_id {question.MessageId}); " +
                        $"poll get_inbox(agent_id=\"{from}\") later for a message with reply_to = {question.MessageId}, or ask again with a longer timeout_seconds.");
                }

                if (elapsed >= callLimit)
                {
                    int waited = (int)Math.Round(elapsed.TotalSeconds);
                    int remaining = (int)Math.Ceiling((deadline - elapsed).TotalSeconds);
                    return new Exchange(
                        question,
                        null,
                        "waiting",
                        $"No reply from '{to}' yet (this call waited {waited} s, the most one call may wait). The question is sent and " +
                        $"stays answerable for {remaining} s more. To keep waiting without sending it again, call ask with " +
                        $"{{\"message_id\":\"{question.MessageId}\"}}. The reply also lands in your inbox with reply_to = {question.MessageId}.");
                }

                // Wake at least every PresenceCheck (to see the recipient go offline), and no later than this call's limit.
                TimeSpan left = callLimit - elapsed;
                TimeSpan sliceLength = TimeSpan.FromTicks(Math.Clamp(left.Ticks, TimeSpan.TicksPerMillisecond, PresenceCheck.Ticks));
                try
                {
                    reply = await handedOver.WaitAsync(sliceLength, time, cancellationToken).ConfigureAwait(false);
                }
                catch (TimeoutException)
                {
                    // The slice ended: check presence and the deadline, then wait again on the same registration.
                }
            }

            await _mesh.MarkReadAsync([reply], cancellationToken).ConfigureAwait(false);
            return new Exchange(question, reply);
        }
        finally
        {
            await Mesh.StopWaitingAsync(waiting, handedOver).ConfigureAwait(false);
        }
    }

    private async ValueTask<MeshMessage?> FindReplyAsync(string asker, string questionId, long cursor, CancellationToken cancellationToken)
    {
        while (true)
        {
            InboxPage page = await _mesh.PeekInboxAsync(asker, cursor, MeshLimits.MaxInboxPage, cancellationToken).ConfigureAwait(false);
            MeshMessage? reply = page.Messages.FirstOrDefault(m => m.ReplyTo == questionId && m.FromAgentId != AgentRegistry.SystemAgentId);
            if (reply is not null || page.Messages.Count < MeshLimits.MaxInboxPage)
            {
                return reply;
            }

            cursor = page.NextSince;
        }
    }
}
