using System.Net;
using System.Net.Sockets;
using System.Text;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>A stream subscriber that never reads costs the hub a bounded amount and is cut off; the others carry on.</summary>
public sealed class StuckReaderTests
{
    [Fact]
    public async Task Subscriber_that_never_reads_is_disconnected_and_other_streams_continue()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_SUBSCRIBER_BUFFER_BYTES"] = "65536" });
        await node.Listening.WaitAsync(scope.Timeout);

        // A raw client with a tiny receive window: it reads the response head, then never reads again.
        using var stuck = new Socket(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp) { ReceiveBufferSize = 4096 };
        await stuck.ConnectAsync(new IPEndPoint(IPAddress.Loopback, scope.Port), scope.Timeout);
        await stuck.SendAsync(Encoding.ASCII.GetBytes("GET /inbox/x/stream HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n"), scope.Timeout);
        string head = await ReadUntilAsync(stuck, "retry: 2000", scope.Timeout);
        Assert.StartsWith("HTTP/1.1 200", head, StringComparison.Ordinal);

        await using SseProbe other = await SseProbe.OpenAsync(scope.Http, "/inbox/y/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await other.ReadBlockAsync(scope.Timeout));

        // About 10 MB for x: more than the stream's 64 KiB budget plus every socket buffer on the way can hold.
        string payload = new('p', 60 * 1024);
        const int Count = 160;
        for (int i = 0; i < Count; i++)
        {
            await node.SendAsync("a", "x", payload);
        }

        // Only now does the stuck client read: it gets what was already on its way, then the end of the connection.
        // Before the fix the hub kept the connection open (and every message queued for it) for as long as it lived.
        long received = await DrainUntilClosedAsync(stuck, scope.Timeout);
        Assert.True(received < Count * payload.Length / 2, $"the stuck reader was sent {received} bytes; the hub should have cut it off early");

        await node.SendAsync("a", "y", "still flowing");
        JsonElement message = await other.ReadMessageAsync(scope.Timeout);
        Assert.Equal("still flowing", message.GetProperty("payload").GetString());
    }

    [Fact]
    public async Task Streams_beyond_the_total_cap_get_503_with_a_json_error()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_MAX_STREAMS"] = "2" });
        await node.Listening.WaitAsync(scope.Timeout);
        await using SseProbe first = await SseProbe.OpenAsync(scope.Http, "/inbox/a/stream", scope.Timeout);
        await using SseProbe second = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout);

        using HttpResponseMessage third = await scope.Http.GetAsync("/inbox/c/stream", HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.ServiceUnavailable, third.StatusCode);
        JsonElement error = JsonDocument.Parse(await third.Content.ReadAsStringAsync(scope.Timeout)).RootElement;
        Assert.Equal("too_many_streams", error.GetProperty("error").GetString());
        Assert.Contains("MESHFLEET_MAX_STREAMS", error.GetProperty("detail").GetString(), StringComparison.Ordinal);
    }

    private static async Task<string> ReadUntilAsync(Socket socket, string marker, CancellationToken cancellationToken)
    {
        var text = new StringBuilder();
        byte[] buffer = new byte[512];
        while (!text.ToString().Contains(marker, StringComparison.Ordinal))
        {
            int read = await socket.ReceiveAsync(buffer, cancellationToken);
            Assert.True(read > 0, "the server closed the stream before its preamble");
            text.Append(Encoding.ASCII.GetString(buffer, 0, read));
        }

        return text.ToString();
    }

    private static async Task<long> DrainUntilClosedAsync(Socket socket, CancellationToken cancellationToken)
    {
        byte[] buffer = new byte[64 * 1024];
        long total = 0;
        try
        {
            int read;
            while ((read = await socket.ReceiveAsync(buffer, cancellationToken)) > 0)
            {
                total += read;
            }
        }
        catch (SocketException)
        {
            // A reset is as good a close as a FIN here.
        }

        return total;
    }
}
