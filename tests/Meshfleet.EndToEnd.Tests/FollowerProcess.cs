using System.Diagnostics;
using System.Threading.Channels;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// A real long-running <c>meshfleet watch</c> / <c>bridge</c> process: its stdout lines arrive on a channel, and it is
/// ready once it logs where it starts following. Stopped with SIGTERM (how a terminal or a monitor host stops it).
/// </summary>
internal sealed class FollowerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly Channel<string> _lines = Channel.CreateUnbounded<string>();
    private readonly Channel<string> _errorLines = Channel.CreateUnbounded<string>();
    private readonly List<string> _stderr = [];
    private readonly TaskCompletionSource<string> _following = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private FollowerProcess(Process process)
    {
        _process = process;
    }

    public IReadOnlyList<string> Stderr
    {
        get
        {
            lock (_stderr)
            {
                return [.. _stderr];
            }
        }
    }

    /// <summary>Starts meshfleet with <paramref name="arguments"/> and waits for its "following AGENT after seq N" line.</summary>
    public static async Task<FollowerProcess> StartAsync(IReadOnlyDictionary<string, string> environment, CancellationToken timeout, params string[] arguments)
    {
        Process process = Process.Start(MeshfleetBinary.StartInfo(environment, arguments))!;
        process.StandardInput.Close();
        var follower = new FollowerProcess(process);
        process.OutputDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                follower._lines.Writer.TryComplete();
            }
            else
            {
                follower._lines.Writer.TryWrite(e.Data);
            }
        };
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                return;
            }

            lock (follower._stderr)
            {
                follower._stderr.Add(e.Data);
            }

            follower._errorLines.Writer.TryWrite(e.Data);

            if (e.Data.Contains(" after seq ", StringComparison.Ordinal))
            {
                follower._following.TrySetResult(e.Data);
            }
        };
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        Task exited = process.WaitForExitAsync(timeout);
        if (await Task.WhenAny(follower._following.Task, exited) == exited)
        {
            throw new InvalidOperationException($"meshfleet {string.Join(' ', arguments)} exited with {process.ExitCode} before following: {string.Join('\n', follower.Stderr)}");
        }

        return follower;
    }

    /// <summary>The next stdout line.</summary>
    public async Task<string> ReadLineAsync(CancellationToken timeout) => await _lines.Reader.ReadAsync(timeout);

    /// <summary>The next stderr line that contains <paramref name="marker"/> (a child such as a fake app-server writes there too).</summary>
    public async Task<string> ReadStderrAsync(string marker, CancellationToken timeout)
    {
        while (true)
        {
            string line = await _errorLines.Reader.ReadAsync(timeout);
            if (line.Contains(marker, StringComparison.Ordinal))
            {
                return line;
            }
        }
    }

    /// <summary>SIGTERM, then waits for the exit; returns the exit code.</summary>
    public async Task<int> StopAsync(CancellationToken timeout)
    {
        if (!_process.HasExited)
        {
            using Process kill = Process.Start("kill", ["-TERM", _process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture)]);
            await kill.WaitForExitAsync(timeout);
        }

        await _process.WaitForExitAsync(timeout);
        return _process.ExitCode;
    }

    /// <summary>Lines printed but not read yet, once the process has exited.</summary>
    public async Task<List<string>> RemainingLinesAsync(CancellationToken timeout)
    {
        var rest = new List<string>();
        await foreach (string line in _lines.Reader.ReadAllAsync(timeout))
        {
            rest.Add(line);
        }

        return rest;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync(CancellationToken.None);
        }

        _process.Dispose();
    }
}
