using System.Collections.Concurrent;
using System.Diagnostics;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// A server the bench starts for itself on loopback (the floor relay, redis-server, nats-server): started with its own
/// temporary directory, ready when it prints a known line, killed and cleaned up on dispose.
/// </summary>
internal sealed class ServerProcess : IAsyncDisposable
{
    private const int KeptLines = 40;
    private readonly Process _process;
    private readonly ConcurrentQueue<string> _recent = new();
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly string _readyText;

    private ServerProcess(Process process, string directory, string readyText)
    {
        _process = process;
        Directory = directory;
        _readyText = readyText;
    }

    public int Id => _process.Id;

    /// <summary>A temporary directory of this server (its data), removed on dispose.</summary>
    public string Directory { get; }

    /// <summary>The last lines the server printed, for error messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _recent);

    /// <summary>Finds an executable on PATH or in the sbin directories where Debian installs servers.</summary>
    public static string? FindExecutable(string name)
    {
        IEnumerable<string> directories = (Environment.GetEnvironmentVariable("PATH") ?? string.Empty)
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/usr/local/sbin", "/sbin", "/usr/bin"]);
        return directories.Select(d => Path.Combine(d, name)).FirstOrDefault(File.Exists);
    }

    /// <summary>
    /// Starts <paramref name="executable"/> with arguments built from its new temporary directory, and waits until a line of
    /// its output contains <paramref name="readyText"/>.
    /// </summary>
    public static async Task<ServerProcess> StartAsync(
        string executable,
        Func<string, IEnumerable<string>> arguments,
        string readyText,
        IReadOnlyDictionary<string, string>? environment,
        CancellationToken cancellationToken)
    {
        string directory = System.IO.Directory.CreateTempSubdirectory("meshfleet-bench-server-").FullName;
        var info = new ProcessStartInfo(executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = true,
            UseShellExecute = false,
            WorkingDirectory = directory,
        };
        foreach (string argument in arguments(directory))
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            info.Environment[name] = value;
        }

        var server = new ServerProcess(Process.Start(info)!, directory, readyText);
        server._process.OutputDataReceived += (_, e) => server.Observe(e.Data);
        server._process.ErrorDataReceived += (_, e) => server.Observe(e.Data);
        server._process.BeginOutputReadLine();
        server._process.BeginErrorReadLine();
        try
        {
            Task exited = server._process.WaitForExitAsync(cancellationToken);
            Task first = await Task.WhenAny(server._ready.Task, exited, Task.Delay(TimeSpan.FromSeconds(20), cancellationToken));
            if (first != server._ready.Task)
            {
                throw new SystemUnavailableException(
                    $"{Path.GetFileName(executable)} did not become ready ({(first == exited ? "it exited" : "no ready line in 20 s")}). Its output:{Environment.NewLine}{server.RecentOutput}");
            }

            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    public async ValueTask DisposeAsync()
    {
        try
        {
            if (!_process.HasExited)
            {
                _process.Kill(entireProcessTree: true);
            }

            await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(10));
        }
        catch (Exception ex) when (ex is InvalidOperationException or TimeoutException)
        {
            // Already gone, or refusing to die: the temporary directory is still removed below.
        }

        _process.Dispose();
        try
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
        catch (IOException)
        {
        }
    }

    private void Observe(string? line)
    {
        if (line is null)
        {
            return;
        }

        _recent.Enqueue(line);
        while (_recent.Count > KeptLines)
        {
            _recent.TryDequeue(out _);
        }

        if (line.Contains(_readyText, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }
}
