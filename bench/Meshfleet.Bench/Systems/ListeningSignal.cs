using System.Diagnostics;

namespace Meshfleet.Bench.Systems;

/// <summary>Watches a meshfleet process's stderr for the line it logs once it holds the HTTP port, and stamps when.</summary>
internal sealed class ListeningSignal
{
    private readonly TaskCompletionSource _listening = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public Task Task => _listening.Task;

    /// <summary>The <see cref="Stopwatch"/> timestamp of the line; 0 until it appears.</summary>
    public long At { get; private set; }

    public void Observe(string? line)
    {
        if (At == 0 && line?.Contains("SSE listening", StringComparison.Ordinal) == true)
        {
            At = Stopwatch.GetTimestamp();
            _listening.TrySetResult();
        }
    }
}
