using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Storage;

/// <summary>
/// Turns "read after a cursor" into a live tail: wake on a signal, read everything after the cursor, repeat.
/// A lost wake-up costs at most one poll interval, never a message, because every read starts from the cursor.
/// One reader per instance: a wake-up is consumed by whichever read takes it.
/// </summary>
public sealed class CursorTail
{
    private readonly Func<long, int, CancellationToken, ValueTask<IReadOnlyList<MeshMessage>>> _readAfter;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
    });

    public CursorTail(
        Func<long, int, CancellationToken, ValueTask<IReadOnlyList<MeshMessage>>> readAfter,
        TimeSpan pollInterval,
        TimeProvider time)
    {
        _readAfter = readAfter;
        _pollInterval = pollInterval;
        _time = time;
    }

    /// <summary>Wakes the tail now.</summary>
    public void Wake() => _wake.Writer.TryWrite(true);

    /// <summary>Yields every message after <paramref name="afterSeq"/>, then waits for more.</summary>
    public async IAsyncEnumerable<MeshMessage> ReadAsync(long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long cursor = afterSeq;
        while (!cancellationToken.IsCancellationRequested)
        {
            IReadOnlyList<MeshMessage> batch = await _readAfter(cursor, 512, cancellationToken).ConfigureAwait(false);
            foreach (MeshMessage message in batch)
            {
                cursor = message.Seq;
                yield return message;
            }

            if (batch.Count == 512)
            {
                continue;
            }

            await WaitForWakeAsync(cancellationToken).ConfigureAwait(false);
        }
    }

    private async ValueTask WaitForWakeAsync(CancellationToken cancellationToken)
    {
        if (_wake.Reader.TryRead(out _))
        {
            return;
        }

        using var timeout = new CancellationTokenSource(_pollInterval, _time);
        using var linked = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, timeout.Token);
        try
        {
            await _wake.Reader.ReadAsync(linked.Token).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            // The poll interval elapsed: look at the store anyway, in case a wake-up was lost.
        }
    }
}
