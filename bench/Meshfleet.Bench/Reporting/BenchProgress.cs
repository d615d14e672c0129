using System.Diagnostics;

namespace Meshfleet.Bench.Reporting;

/// <summary>
/// The progress display on stderr (stdout carries only the table): one line per step, and counters updated in place
/// on a terminal, or every few seconds when stderr is a file.
/// </summary>
internal sealed class BenchProgress
{
    private readonly Stopwatch _clock = Stopwatch.StartNew();
    private readonly bool _terminal = !Console.IsErrorRedirected;
    private readonly Lock _gate = new();
    private long _lastUpdate;
    private bool _inPlace;

    public TimeSpan Elapsed => _clock.Elapsed;

    public void Step(string text)
    {
        lock (_gate)
        {
            EndInPlace();
            Console.Error.WriteLine($"[{_clock.Elapsed:mm\\:ss}] {text}");
        }
    }

    /// <summary>A counter of the current step; cheap to call often.</summary>
    public void Update(string text)
    {
        long now = _clock.ElapsedMilliseconds;
        if (now - Interlocked.Read(ref _lastUpdate) < (_terminal ? 200 : 3000))
        {
            return;
        }

        lock (_gate)
        {
            Interlocked.Exchange(ref _lastUpdate, now);
            if (_terminal)
            {
                Console.Error.Write($"\r        {text}".PadRight(78));
                _inPlace = true;
            }
            else
            {
                Console.Error.WriteLine($"        {text}");
            }
        }
    }

    public void Warn(string text)
    {
        lock (_gate)
        {
            EndInPlace();
            Console.Error.WriteLine($"[{_clock.Elapsed:mm\\:ss}] ! {text}");
        }
    }

    private void EndInPlace()
    {
        if (_inPlace)
        {
            Console.Error.WriteLine();
            _inPlace = false;
        }
    }
}
