using System.Net;
using System.Net.Sockets;
using Meshfleet.Core.Storage;

namespace Meshfleet.Hosting;

/// <summary>
/// Cross-process wake-ups: a process that is not the hub sends one UDP datagram to the hub's port on loopback after each
/// commit; the hub then reads the store after its cursor. A lost datagram costs latency, never a message.
/// </summary>
internal sealed class HubWake : IDisposable
{
    private static readonly byte[] Ping = [1];
    private readonly Socket _sender = new(AddressFamily.InterNetwork, SocketType.Dgram, ProtocolType.Udp);

    /// <summary>Tells the hub on <paramref name="port"/> to look at the store now.</summary>
    public void Send(int port)
    {
        try
        {
            _sender.SendTo(Ping, SocketFlags.None, new IPEndPoint(IPAddress.Loopback, port));
        }
        catch (SocketException)
        {
            // No hub is listening (it is changing hands): the new hub starts from the store, so nothing is missed.
        }
    }

    /// <summary>Receives wake-ups on <paramref name="port"/> until cancelled, waking the store's tail for each.</summary>
    public static async Task ReceiveAsync(int port, IMessageStore store, CancellationToken cancellationToken)
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
                store.NotifyExternalAppend();
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

    public void Dispose() => _sender.Dispose();
}
