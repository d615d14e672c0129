using System.Collections.Concurrent;
using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;

namespace Meshfleet.Storage.Nats.Tests;

/// <summary>
/// A real nats-server with JetStream for a test: loopback, a free port, its own store directory; killed and its
/// directory removed on dispose. Several make a JetStream cluster (see <see cref="StartClusterAsync"/>).
/// </summary>
public sealed class NatsServer : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly ConcurrentQueue<string> _output = new();
    private readonly string[] _arguments;
    private readonly bool _ownsDirectory;
    private Process? _process;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NatsServer(int port, string directory, string[] arguments, bool ownsDirectory)
    {
        Port = port;
        Directory = directory;
        _arguments = arguments;
        _ownsDirectory = ownsDirectory;
    }

    public int Port { get; }

    /// <summary>The server's name in its cluster (what a stream's leader is reported as).</summary>
    public string Name => _arguments[Array.IndexOf(_arguments, "--server_name") + 1];

    public string Url => $"nats://127.0.0.1:{Port}";

    /// <summary>The server's JetStream store directory.</summary>
    public string Directory { get; }

    public int? ProcessId => _process is { HasExited: false } p ? p.Id : null;

    /// <summary>The last lines the server printed, for failure messages.</summary>
    public string RecentOutput => string.Join(Environment.NewLine, _output);

    public static string Executable =>
        new[] { "/usr/sbin/nats-server", "/usr/local/bin/nats-server", "/usr/bin/nats-server" }.FirstOrDefault(File.Exists)
        ?? throw new InvalidOperationException("nats-server is not installed; install it with: apt-get install nats-server");

    /// <summary>Starts one server with JetStream.</summary>
    public static async Task<NatsServer> StartAsync(CancellationToken cancellationToken = default)
    {
        int port = FreePort();
        string directory = System.IO.Directory.CreateTempSubdirectory("meshfleet-nats-").FullName;
        var server = new NatsServer(port, directory, ["-js", "-a", "127.0.0.1", "-p", Text(port), "-sd", directory, "--server_name", "n" + Text(port)], ownsDirectory: true);
        await server.RunAsync(cancellationToken);
        return server;
    }

    /// <summary>Starts <paramref name="size"/> servers routed into one JetStream cluster on loopback.</summary>
    public static async Task<NatsServer[]> StartClusterAsync(int size, CancellationToken cancellationToken = default)
    {
        int[] clientPorts = Enumerable.Range(0, size).Select(_ => FreePort()).ToArray();
        int[] routePorts = Enumerable.Range(0, size).Select(_ => FreePort()).ToArray();
        string routes = string.Join(',', routePorts.Select(p => $"nats://127.0.0.1:{p}"));
        string cluster = "c" + Guid.NewGuid().ToString("N")[..8];
        var servers = new NatsServer[size];
        for (int i = 0; i < size; i++)
        {
            string directory = System.IO.Directory.CreateTempSubdirectory("meshfleet-nats-").FullName;
            servers[i] = new NatsServer(
                clientPorts[i],
                directory,
                ["-js", "-a", "127.0.0.1", "-p", Text(clientPorts[i]), "-sd", directory, "--server_name", $"{cluster}-{i}",
                 "--cluster_name", cluster, "--cluster", $"nats://127.0.0.1:{routePorts[i]}", "--routes", routes],
                ownsDirectory: true);
        }

        try
        {
            await Task.WhenAll(servers.Select(s => s.RunAsync(cancellationToken)));
        }
        catch
        {
            foreach (NatsServer server in servers)
            {
                await server.DisposeAsync();
            }

            throw;
        }

        return servers;
    }

    /// <summary>Kills the server at once (SIGKILL: no flush, no goodbye to the cluster).</summary>
    public async Task KillAsync()
    {
        if (_process is { HasExited: false } process)
        {
            process.Kill(entireProcessTree: true);
            await process.WaitForExitAsync();
        }
    }

    /// <summary>Starts the server again on the same port and store directory.</summary>
    public Task RestartAsync(CancellationToken cancellationToken = default)
    {
        _ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        return RunAsync(cancellationToken);
    }

    private async Task RunAsync(CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(Executable)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in _arguments)
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info)!;
        _process = process;
        process.OutputDataReceived += (_, e) => Observe(e.Data);
        process.ErrorDataReceived += (_, e) => Observe(e.Data);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(StartTimeout);
        Task exited = process.WaitForExitAsync(timeout.Token);
        Task first = await Task.WhenAny(_ready.Task, exited);
        if (first != _ready.Task)
        {
            await KillAsync();
            throw new InvalidOperationException($"nats-server did not get ready on port {Port}:{Environment.NewLine}{RecentOutput}");
        }
    }

    private void Observe(string? line)
    {
        if (line is null)
        {
            return;
        }

        _output.Enqueue(line);
        while (_output.Count > 60)
        {
            _output.TryDequeue(out _);
        }

        if (line.Contains("Server is ready", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await KillAsync();
        _process?.Dispose();
        if (_ownsDirectory && System.IO.Directory.Exists(Directory))
        {
            System.IO.Directory.Delete(Directory, recursive: true);
        }
    }

    /// <summary>A port nobody listens on now (the kernel's pick for port 0, released at once).</summary>
    public static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }

    private static string Text(int value) => value.ToString(CultureInfo.InvariantCulture);
}
