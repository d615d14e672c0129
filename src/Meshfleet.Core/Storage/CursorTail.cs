using System.Runtime.CompilerServices;
using System.Threading.Channels;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Storage;

/// <summary>
/// Turns "read after a cursor" into a live tail: wake on a signal, read everything after the cursor, repeat.
/// A lost wake-up costs at most one poll interval, never a message, because every read starts from the cursor.
/// One reader per instance: a wake-up is consumed by whichever read takes it.
/// </summary>
/// <remarks>
/// The store's own writer can also hand over what it just committed (<see cref="HandOver"/>): the tail yields those
/// messages without reading them back, as long as they continue its cursor exactly. A gap (another process's commit in
/// between) or a <see cref="Wake"/> makes it read the store as before, so a hand-over only ever saves a read.
/// </remarks>
public sealed class CursorTail
{
    /// <summary>Handed-over messages kept for a reader that is behind; past this the tail forgets them and reads instead.</summary>
    private const int MaxHandedOver = 4096;
    private const int ReadPage = 512;

    private readonly Func<long, int, CancellationToken, ValueTask<IReadOnlyList<MeshMessage>>> _readAfter;
    private readonly TimeSpan _pollInterval;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Queue<MeshMessage> _handedOver = new();
    private bool _reading;
    private bool _mustRead;

    // Synchronous continuations: the reader (the delivery pump) runs on the thread that committed, right after the commit,
    // instead of waiting for a thread-pool hop. The pump only publishes to in-memory streams before it waits again.
    private readonly Channel<bool> _wake = Channel.CreateBounded<bool>(new BoundedChannelOptions(1)
    {
        FullMode = BoundedChannelFullMode.DropWrite,
        SingleReader = true,
        AllowSynchronousContinuations = true,
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

    /// <summary>Wakes the tail now; it reads the store.</summary>
    public void Wake()
    {
        lock (_gate)
        {
            _mustRead = true;
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>
    /// Hands over messages just committed by this process, in seq order, so the tail need not read them back. Kept only
    /// while a reader is tailing; a reader that starts later reads the store anyway.
    /// </summary>
    public void HandOver(IReadOnlyList<MeshMessage> committed)
    {
        if (committed.Count == 0)
        {
            return;
        }

        lock (_gate)
        {
            if (!_reading)
            {
                return;
            }

            if (Keeps(committed.Count))
            {
                foreach (MeshMessage message in committed)
                {
                    _handedOver.Enqueue(message);
                }
            }
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Hands over one message just committed by this process (see <see cref="HandOver(IReadOnlyList{MeshMessage})"/>).</summary>
    public void HandOver(MeshMessage committed)
    {
        lock (_gate)
        {
            if (!_reading)
            {
                return;
            }

            if (Keeps(1))
            {
                _handedOver.Enqueue(committed);
            }
        }

        _wake.Writer.TryWrite(true);
    }

    /// <summary>Whether <paramref name="count"/> more hand-overs fit; past the bound the tail forgets them all and reads instead. Called holding the gate.</summary>
    private bool Keeps(int count)
    {
        if (_handedOver.Count + count <= MaxHandedOver)
        {
            return true;
        }

        _handedOver.Clear();
        _mustRead = true;
        return false;
    }

    /// <summary>Yields every message after <paramref name="afterSeq"/>, then waits for more.</summary>
    public async IAsyncEnumerable<MeshMessage> ReadAsync(long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            _reading = true;
        }

        // The poll: a lost wake-up (another process's datagram) is found at the next tick at the latest.
        using ITimer poll = _time.CreateTimer(_ => Wake(), null, _pollInterval, _pollInterval);
        try
        {
            long cursor = afterSeq;
            bool readAgain = true;
            while (!cancellationToken.IsCancellationRequested)
            {
                while (TakeNext(cursor) is { } next)
                {
                    cursor = next.Seq;
                    yield return next;
                }

                if (!readAgain && !TakeMustRead())
                {
                    await _wake.Reader.ReadAsync(cancellationToken).ConfigureAwait(false);
                    continue;
                }

                IReadOnlyList<MeshMessage> batch = await _readAfter(cursor, ReadPage, cancellationToken).ConfigureAwait(false);
                foreach (MeshMessage message in batch)
                {
                    cursor = message.Seq;
                    yield return message;
                }

                readAgain = batch.Count == ReadPage;
            }
        }
        finally
        {
            lock (_gate)
            {
                _reading = false;
                _handedOver.Clear();
            }
        }
    }

    /// <summary>The handed-over message right after <paramref name="cursor"/>, if there is one; a gap means a read.</summary>
    private MeshMessage? TakeNext(long cursor)
    {
        lock (_gate)
        {
            while (_handedOver.TryPeek(out MeshMessage? first))
            {
                if (first.Seq <= cursor)
                {
                    _handedOver.Dequeue();
                    continue;
                }

                if (first.Seq == cursor + 1)
                {
                    return _handedOver.Dequeue();
                }

                _mustRead = true;
                return null;
            }

            return null;
        }
    }

    private bool TakeMustRead()
    {
        lock (_gate)
        {
            bool mustRead = _mustRead;
            _mustRead = false;
            return mustRead;
        }
    }
}
