using System.Globalization;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Meshfleet.Mcp;

/// <summary>
/// Sends <c>notifications/progress</c> every few seconds while a tool call waits, when the client asked for progress
/// (it gave a progress token). Some clients (Claude Code) reset a call's idle timeout on each one.
/// </summary>
internal sealed class WaitProgress
{
    /// <summary>How often a waiting call reports; well inside any client's idle timeout.</summary>
    public static readonly TimeSpan Interval = TimeSpan.FromSeconds(5);

    private readonly Func<ProgressNotificationValue, CancellationToken, ValueTask> _send;

    public WaitProgress(Func<ProgressNotificationValue, CancellationToken, ValueTask> send)
    {
        _send = send;
    }

    /// <summary>A reporter for this call, or null when the client gave no progress token.</summary>
    public static WaitProgress? For(RequestContext<CallToolRequestParams> request) =>
        request.Params?.ProgressToken is { } token
            ? new WaitProgress((value, ct) => new ValueTask(request.Server.NotifyProgressAsync(token, value, cancellationToken: ct)))
            : null;

    /// <summary>
    /// Runs <paramref name="work"/>, reporting elapsed seconds of <paramref name="expected"/> every <see cref="Interval"/>
    /// until it completes. A failed report never fails the work.
    /// </summary>
    public async Task<T> WhileAsync<T>(Func<CancellationToken, Task<T>> work, TimeSpan expected, string what, TimeProvider time, CancellationToken cancellationToken)
    {
        using var done = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<T> running = work(cancellationToken);
        long started = time.GetTimestamp();
        while (true)
        {
            Task tick = Task.Delay(Interval, time, done.Token);
            if (await Task.WhenAny(running, tick).ConfigureAwait(false) == running)
            {
                await done.CancelAsync().ConfigureAwait(false);
                return await running.ConfigureAwait(false);
            }

            double elapsed = Math.Round(time.GetElapsedTime(started).TotalSeconds);
            try
            {
                await _send(
                    new ProgressNotificationValue
                    {
                        Progress = (float)elapsed,
                        Total = (float)expected.TotalSeconds,
                        Message = string.Create(CultureInfo.InvariantCulture, $"{what}: {elapsed:0} s of {expected.TotalSeconds:0} s"),
                    },
                    cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OperationCanceledException)
            {
                // Progress is a courtesy: the wait goes on without it.
            }
        }
    }
}
