using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Delivery;

/// <summary>
/// Runs in the hub: pushes messages awaiting their ack again on the recipient's streams, on the retry policy's
/// schedule, and dead-letters them after the last attempt, telling the sender with a message from <c>meshfleet</c>.
/// </summary>
public sealed class Redeliverer
{
    private static readonly TimeSpan StepTolerance = TimeSpan.FromSeconds(1);
    private readonly Mesh _mesh;
    private readonly StreamHub _hub;
    private readonly RetryPolicy _policy;
    private readonly Random _random = new();
    private long? _lastRunWall;
    private long _lastRunTimestamp;

    public Redeliverer(Mesh mesh, StreamHub hub, RetryPolicy policy)
    {
        _mesh = mesh;
        _hub = hub;
        _policy = policy;
    }

    /// <summary>Raised when a redelivery reached streams (for the push record).</summary>
    public event Action<MeshMessage, int>? Redelivered;

    /// <summary>
    /// Raised for every redelivery attempt, before this process's streams get it: with a backend whose processes each
    /// hold streams (NATS), the host forwards it to the others, since the recipient's stream may be on any of them.
    /// </summary>
    public event Action<MeshMessage>? Redelivering;

    /// <summary>Handles every redelivery due now; returns how many it handled.</summary>
    public async ValueTask<int> RunDueAsync(CancellationToken cancellationToken)
    {
        long now = _mesh.Time.GetUtcNow().ToUnixTimeMilliseconds();
        await PullInAfterClockStepAsync(now, cancellationToken).ConfigureAwait(false);
        IReadOnlyList<DeliveryRow> due = await _mesh.Ledger.ListDueRedeliveriesAsync(now, 256, cancellationToken).ConfigureAwait(false);
        foreach (DeliveryRow row in due)
        {
            int attempt = row.Attempts + 1;
            if (attempt > _policy.MaxAttempts)
            {
                var notice = new SystemNotice(
                    Type: "dead_letter",
                    Text: $"Your message {row.MessageId} to {row.ToAgentId} was not acked after {row.Attempts} redeliveries and is dead-lettered. It is still in their inbox.",
                    MessageId: row.MessageId,
                    ToAgentId: row.ToAgentId,
                    Attempts: row.Attempts);
                // One conditional write: an ack that landed after the rows were read wins (no false notice), and a
                // crash cannot leave the message dead-lettered without its notice.
                await _mesh.Ledger.DeadLetterAsync(row.MessageId, now, _mesh.NoticeDraft(row.FromAgentId, notice, row.MessageId), cancellationToken).ConfigureAwait(false);
                continue;
            }

            MeshMessage? message = await _mesh.Store.GetMessageAsync(row.MessageId, cancellationToken).ConfigureAwait(false);
            if (message is not null)
            {
                Redelivering?.Invoke(message);
                int reached = _hub.Redeliver(message);
                if (reached > 0)
                {
                    Redelivered?.Invoke(message, reached);
                }
            }

            long next = now + (long)_policy.DelayBefore(attempt + 1, _random).TotalMilliseconds;
            await _mesh.Ledger.RecordAttemptAsync(row.MessageId, attempt, next, null, cancellationToken).ConfigureAwait(false);
        }

        return due.Count;
    }

    /// <summary>
    /// Due times are wall clock (every process reads them), so a clock stepped back by ten minutes would hold every
    /// redelivery for ten minutes. On the first run, and whenever the wall clock moved less than the monotonic clock
    /// since the last run, due times beyond any schedule's reach are made due now (an early redelivery is harmless).
    /// </summary>
    private async ValueTask PullInAfterClockStepAsync(long now, CancellationToken cancellationToken)
    {
        TimeProvider time = _mesh.Time;
        long timestamp = time.GetTimestamp();
        bool steppedBack = _lastRunWall is not { } lastWall
            || now - lastWall < time.GetElapsedTime(_lastRunTimestamp, timestamp).TotalMilliseconds - StepTolerance.TotalMilliseconds;
        if (steppedBack)
        {
            long latest = now + (long)(_policy.MaxDelay.TotalMilliseconds * (1 + _policy.Jitter)) + (long)StepTolerance.TotalMilliseconds;
            await _mesh.Ledger.PullInRedeliveriesAsync(latest, now, cancellationToken).ConfigureAwait(false);
        }

        _lastRunWall = now;
        _lastRunTimestamp = timestamp;
    }
}
