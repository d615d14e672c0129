using System.Diagnostics;
using System.Text.Json;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// A bounded poll of a condition that nothing announces to the test (the server records pushes in 100 ms batches; a port
/// is free again only once a killed process is reaped): probes until the condition holds, pausing with a growing backoff
/// between probes, and fails with what it last saw once the deadline passes. Never a fixed sleep standing in for the condition.
/// </summary>
internal static class Poll
{
    private static readonly TimeSpan FirstPause = TimeSpan.FromMilliseconds(2);
    private static readonly TimeSpan LongestPause = TimeSpan.FromMilliseconds(100);

    /// <summary>Probes until <paramref name="done"/> holds for the probe's result and returns that result.</summary>
    public static async Task<T> UntilAsync<T>(Func<CancellationToken, Task<T>> probe, Func<T, bool> done, TimeSpan within, string what, CancellationToken cancellationToken)
    {
        var clock = Stopwatch.StartNew();
        TimeSpan pause = FirstPause;
        for (int probes = 1; ; probes++)
        {
            T last = await probe(cancellationToken);
            if (done(last))
            {
                return last;
            }

            TimeSpan left = within - clock.Elapsed;
            if (left <= TimeSpan.Zero)
            {
                throw new TimeoutException($"Waited for {what}: still not so after {probes} probes over {clock.Elapsed.TotalMilliseconds:F0} ms; the last probe saw {Describe(last)}");
            }

            await Task.Delay(pause < left ? pause : left, cancellationToken);
            pause = pause * 2 < LongestPause ? pause * 2 : LongestPause;
        }
    }

    private static string Describe<T>(T value) => value switch
    {
        null => "nothing",
        JsonElement json => json.GetRawText(),
        _ => value.ToString() ?? "nothing",
    };
}
