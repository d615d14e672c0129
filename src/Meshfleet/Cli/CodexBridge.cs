namespace Meshfleet.Cli;

/// <summary>
/// Wakes a Codex thread for each message with <c>turn/start</c> over the app-server protocol. The thread is the one
/// given, else the first loaded one (the interactive TUI's). The app-server child is restarted when it dies, and a
/// message is handed on only after Codex accepted its turn, so nothing is skipped.
/// </summary>
internal sealed class CodexBridge : IAsyncDisposable
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    private readonly IReadOnlyList<string> _command;
    private readonly string? _thread;
    private readonly TextWriter _diagnostics;
    private readonly TimeProvider _time;
    private CodexAppServer? _server;

    public CodexBridge(IReadOnlyList<string> command, string? thread, TextWriter diagnostics, TimeProvider time)
    {
        _command = command;
        _thread = thread;
        _diagnostics = diagnostics;
        _time = time;
    }

    /// <summary>Starts a turn carrying <paramref name="text"/>; returns once Codex accepted it (retrying until then).</summary>
    public async Task DeliverAsync(string text, CancellationToken cancellationToken)
    {
        var waiting = new RetryPace(FirstRetry, LastRetry, _time);
        while (true)
        {
            string problem;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                if (_server is not { IsAlive: true })
                {
                    if (_server is not null)
                    {
                        await _server.DisposeAsync();
                        _server = null;
                    }

                    _server = await CodexAppServer.StartAsync(_command, _diagnostics, cancellationToken);
                }

                IReadOnlyList<string> loaded = _thread is null ? await _server.ListLoadedThreadsAsync(cancellationToken) : [];
                string? thread = _thread ?? (loaded.Count > 0 ? loaded[0] : null);
                if (thread is not null)
                {
                    // Seen through even when the bridge is stopping (the call has its own 30 s bound): a turn Codex
                    // started but the cursor missed would be repeated on the next start.
                    await _server.StartTurnAsync(thread, text, CancellationToken.None);
                    if (waiting.Failures > 0)
                    {
                        await _diagnostics.WriteLineAsync("meshfleet: Codex accepts messages again.");
                    }

                    return;
                }

                problem = "Codex has no loaded thread yet (open a conversation in the Codex TUI, or pass --thread ID)";
            }
            catch (Exception ex) when (ex is IOException or CodexRequestException or System.ComponentModel.Win32Exception)
            {
                problem = $"Codex app-server ('{string.Join(' ', _command)}'): {ex.Message}";
            }

            if (waiting.Failures == 0)
            {
                await _diagnostics.WriteLineAsync($"meshfleet: {problem}; retrying (the message stays queued).");
            }

            await waiting.WaitAsync(cancellationToken);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
