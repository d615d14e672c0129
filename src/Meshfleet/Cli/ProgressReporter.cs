using System.Globalization;

namespace Meshfleet.Cli;

/// <summary>Progress on stderr: a redrawn bar when stderr is a terminal, a line every few seconds otherwise.</summary>
internal sealed class ProgressReporter
{
    private readonly string _label;
    private readonly long _total;
    private readonly bool _interactive = !Console.IsErrorRedirected;
    private long _lastTick = Environment.TickCount64;

    public ProgressReporter(string label, long total)
    {
        _label = label;
        _total = Math.Max(total, 1);
    }

    public void Report(long position, long count)
    {
        long now = Environment.TickCount64;
        if (now - _lastTick < (_interactive ? 100 : 5000))
        {
            return;
        }

        _lastTick = now;
        double fraction = Math.Clamp((double)position / _total, 0, 1);
        if (_interactive)
        {
            int filled = (int)(fraction * 30);
            Console.Error.Write(string.Create(CultureInfo.InvariantCulture, $"\r{_label} [{new string('#', filled)}{new string('.', 30 - filled)}] {fraction:P0} {count} messages"));
        }
        else
        {
            Console.Error.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{_label}: {fraction:P0}, {count} messages"));
        }
    }

    public void Finish(string summary)
    {
        if (_interactive)
        {
            Console.Error.Write("\r" + new string(' ', 70) + "\r");
        }

        Console.Error.WriteLine($"meshfleet {_label}: {summary}");
    }
}
