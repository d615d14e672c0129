using System.Net;
using System.Net.Sockets;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Sqlite;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// SQLite's cross-process change signal, registered only with the SQLite backend (it needs one because a SQLite file
/// tells nobody about a commit). A process that is not the port holder sends one UDP datagram to the HTTP port on
/// loopback after each commit, and the port holder wakes its tail. While a call here waits for mail (long poll, ask) and
/// another process holds the port, the tail looks every few milliseconds, since sends from other processes wake only
/// the port holder; the process holding the port never polls for waiters. A lost datagram costs latency, never a message: the tail's own poll (250 ms by default) still finds it.
/// </summary>
internal sealed partial class SqliteChangeSignal : IHostedService, IDisposable
{
    private static readonly TimeSpan WaiterPoll = TimeSpan.FromMilliseconds(5);
    private static readonly byte[] Ping = [1];
    private readonly SqliteMessageStore _store;
    private readonly Mesh _mesh;
    private readonly StreamHub _hub;
    private readonly PortHolderLocator _locator;
    private readonly ILogger<SqliteChangeSignal> _logger;
    private readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
    private readonly CancellationTokenSource _stopping = new();
    private readonly SemaphoreSlim _waitersChanged = new(0);
    private readonly Lock _receiverLock = new();
    private CancellationTokenSource? _receiving;
    private Task _receiver = Task.CompletedTask;
    private Task _boostLoop = Task.CompletedTask;

    public SqliteChangeSignal(SqliteMessageStore store, Mesh mesh, StreamHub hub, PortHolderLocator locator, ILogger<SqliteChangeSignal> logger)
    {
        _store = store;
        _mesh = mesh;
        _hub = hub;
        _locator = locator;
        _logger = logger;
    }

    public Task StartAsync(CancellationToken cancellationToken)
    {
        _mesh.Appended += OnAppended;
        _hub.WaitersChanged += OnWaitersChanged;
        _locator.PortHolderChanged += OnPortHolderChanged;
        _boostLoop = Task.Run(() => BoostWaitersAsync(_stopping.Token), CancellationToken.None);
        return Task.CompletedTask;
    }

    public async Task StopAsync(CancellationToken cancellationToken)
    {
        _mesh.Appended -= OnAppended;
        _hub.WaitersChanged -= OnWaitersChanged;
        _locator.PortHolderChanged -= OnPortHolderChanged;
        await _stopping.CancelAsync().ConfigureAwait(false);
        Task receiver;
        lock (_receiverLock)
        {
            _receiving?.Cancel();
            receiver = _receiver;
        }

        await Task.WhenAll(_boostLoop, receiver).WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    public void Dispose()
    {
        _sender.Dispose();
        _stopping.Dispose();
        _receiving?.Dispose();
        _waitersChanged.Dispose();
    }

    private void OnAppended(MeshMessage message)
    {
        if (!_locator.IsPortHolder)
        {
            Send(_locator.WakePort);
        }
    }

    /// <summary>Tells the port holder on <paramref name="port"/> to look at the store now.</summary>
    private void Send(int port)
    {
        try
        {
            _sender.SendTo(Ping, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException)
        {
            // No port holder is listening (it is changing hands): the new port holder starts from the store, so nothing is missed.
        }
    }

    /// <summary>Receives wake-ups on the port this process holds, from when it takes the port until it leaves it.</summary>
    private void OnPortHolderChanged()
    {
        OnWaitersChanged();
        lock (_receiverLock)
        {
            _receiving?.Cancel();
            _receiving?.Dispose();
            _receiving = null;
            if (_locator.BoundPort is { } port && !_stopping.IsCancellationRequested)
            {
                _receiving = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
                CancellationToken token = _receiving.Token;
                Task previous = _receiver;
                _receiver = Task.Run(
                    async () =>
                    {
                        await previous.ConfigureAwait(false);
                        await ReceiveAsync(port, token).ConfigureAwait(false);
                    },
                    CancellationToken.None);
            }
        }
    }

    private async Task ReceiveAsync(int port, CancellationToken cancellationToken)
    {
        try
        {
            using var socket = new Socket(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            byte[] buffer = new byte[16];
            EndPoint any = new IPEndPoint(IPAddress.Any, 0);
            while (!cancellationToken.IsCancellationRequested)
            {
                try
                {
                    await socket.ReceiveFromAsync(buffer, SocketFlags.None, any, cancellationToken).ConfigureAwait(false);
                    _store.NotifyExternalAppend();
                }
                catch (OperationCanceledException)
                {
                    return;
                }
                catch (SocketException)
                {
                    // An ICMP error from an earlier send can surface here on some stacks; keep receiving.
                }
            }
        }
        catch (SocketException ex)
        {
            LogWakeUnavailable(_logger, port, ex.Message);
        }
    }

    private void OnWaitersChanged()
    {
        if (_waitersChanged.CurrentCount == 0)
        {
            _waitersChanged.Release();
        }
    }

    private async Task BoostWaitersAsync(CancellationToken cancellationToken)
    {
        try
        {
            while (!cancellationToken.IsCancellationRequested)
            {
                await _waitersChanged.WaitAsync(cancellationToken).ConfigureAwait(false);
                // The port holder needs no poll: its own sends and every other process's datagram wake its tail, and
                // the tail hands each reply to its waiter. Losing the port releases the semaphore, so polling resumes.
                while (_hub.HasWaiters && !_locator.IsPortHolder)
                {
                    await Task.Delay(WaiterPoll, cancellationToken).ConfigureAwait(false);
                    _store.NotifyExternalAppend();
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
    }

    [LoggerMessage(Level = LogLevel.Warning, Message = "Cross-process wake-ups unavailable on UDP port {Port} ({Reason}); other processes' sends arrive at the next poll")]
    private static partial void LogWakeUnavailable(ILogger logger, int port, string reason);
}
