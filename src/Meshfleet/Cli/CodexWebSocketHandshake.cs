using System.Net.WebSockets;
using System.Security.Cryptography;
using System.Text;

namespace Meshfleet.Cli;

/// <summary>
/// The client side of a WebSocket opening handshake over an already connected stream. <c>codex app-server proxy</c>
/// relays its stdio to the shared daemon's WebSocket server (Codex 0.169.0 answers <c>GET /</c> with
/// <c>101 Switching Protocols</c>), so JSON-RPC sent through it must travel as text frames, not as JSON lines.
/// </summary>
internal static class CodexWebSocketHandshake
{
    private const string AcceptGuid = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11";
    private const int MaxHeaderBytes = 16 * 1024;

    /// <summary>Sends the upgrade request, checks the 101 answer and returns the client WebSocket over <paramref name="stream"/>.</summary>
    public static async Task<WebSocket> ConnectAsync(Stream stream, CancellationToken cancellationToken)
    {
        string key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(16));
        string request = "GET / HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + $"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n";
        await stream.WriteAsync(Encoding.ASCII.GetBytes(request), cancellationToken);
        await stream.FlushAsync(cancellationToken);

        string head = await ReadHeadAsync(stream, cancellationToken);
        string[] lines = head.Split("\r\n");
        string[] status = lines[0].Split(' ', 3);
        if (status.Length < 2 || status[1] != "101")
        {
            throw new IOException($"the app-server refused the WebSocket upgrade: '{lines[0]}'");
        }

#pragma warning disable CA5350 // RFC 6455 fixes SHA-1 for Sec-WebSocket-Accept; it proves a WebSocket server answered, not secrecy.
        string expected = Convert.ToBase64String(SHA1.HashData(Encoding.ASCII.GetBytes(key + AcceptGuid)));
#pragma warning restore CA5350
        bool accepted = lines.Skip(1).Any(line =>
            line.StartsWith("sec-websocket-accept:", StringComparison.OrdinalIgnoreCase)
            && line["sec-websocket-accept:".Length..].Trim() == expected);
        if (!accepted)
        {
            throw new IOException("the app-server's WebSocket upgrade answer lacks a matching Sec-WebSocket-Accept");
        }

        // No keep-alive pings of our own: the pipe is local, and the daemon's pings are answered while receiving.
        return WebSocket.CreateFromStream(stream, new WebSocketCreationOptions { IsServer = false, KeepAliveInterval = TimeSpan.Zero });
    }

    // Byte by byte, so not one byte of the first frame is consumed with the headers.
    private static async Task<string> ReadHeadAsync(Stream stream, CancellationToken cancellationToken)
    {
        var head = new List<byte>(256);
        byte[] one = new byte[1];
        while (head.Count < 4 || head[^4] != '\r' || head[^3] != '\n' || head[^2] != '\r' || head[^1] != '\n')
        {
            if (await stream.ReadAsync(one, cancellationToken) == 0)
            {
                throw new IOException("the app-server closed its output during the WebSocket upgrade");
            }

            if (head.Count == MaxHeaderBytes)
            {
                throw new IOException("the app-server's WebSocket upgrade answer has no end of headers");
            }

            head.Add(one[0]);
        }

        return Encoding.ASCII.GetString([.. head], 0, head.Count - 4);
    }
}
