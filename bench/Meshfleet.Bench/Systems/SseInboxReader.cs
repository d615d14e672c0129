using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Net.Http.Headers;
using System.Text.Json;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// A Server-Sent Events subscriber over HttpClient, shared by Meshfleet and the relay floor: it splits the stream into
/// events at blank lines and takes <c>payload</c> from each event's JSON <c>data:</c>.
/// </summary>
internal sealed class SseInboxReader : IInboxReader
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _stream;
    private byte[] _buffer = new byte[2048];
    private int _start;
    private int _end;
    private long _lastReadAt;

    private SseInboxReader(HttpResponseMessage response, Stream stream)
    {
        _response = response;
        _stream = stream;
    }

    /// <summary>Opens the stream and waits for the server's first block (the <c>retry:</c> preamble), sent once the stream is registered.</summary>
    public static async ValueTask<SseInboxReader> OpenAsync(HttpClient http, Uri url, string? bearerToken, CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, url);
        request.Headers.Accept.ParseAdd("text/event-stream");
        if (bearerToken is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", bearerToken);
        }

        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            response.Dispose();
            throw new InvalidOperationException($"GET {url} answered {(int)response.StatusCode}: {body}");
        }

        var reader = new SseInboxReader(response, await response.Content.ReadAsStreamAsync(cancellationToken));
        await reader.NextBlockAsync(cancellationToken);
        return reader;
    }

    public async ValueTask<InboxDelivery> ReceiveAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadOnlyMemory<byte> block = await NextBlockAsync(cancellationToken);
            if (TryReadPayload(block.Span, out string? payload))
            {
                return new InboxDelivery(payload, _lastReadAt);
            }
        }
    }

    public ValueTask DisposeAsync()
    {
        _response.Dispose();
        return ValueTask.CompletedTask;
    }

    private async ValueTask<ReadOnlyMemory<byte>> NextBlockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            int length = _buffer.AsSpan(_start, _end - _start).IndexOf("\n\n"u8);
            if (length >= 0)
            {
                ReadOnlyMemory<byte> block = _buffer.AsMemory(_start, length);
                _start += length + 2;
                return block;
            }

            if (_start > 0)
            {
                Buffer.BlockCopy(_buffer, _start, _buffer, 0, _end - _start);
                _end -= _start;
                _start = 0;
            }

            if (_end == _buffer.Length)
            {
                Array.Resize(ref _buffer, _buffer.Length * 2);
            }

            int read = await _stream.ReadAsync(_buffer.AsMemory(_end), cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("The server closed the event stream.");
            }

            _lastReadAt = Stopwatch.GetTimestamp();
            _end += read;
        }
    }

    private static bool TryReadPayload(ReadOnlySpan<byte> block, [NotNullWhen(true)] out string? payload)
    {
        payload = null;
        int data = block.StartsWith("data: "u8) ? 0 : block.IndexOf("\ndata: "u8) is int at and >= 0 ? at + 1 : -1;
        if (data < 0)
        {
            return false;
        }

        ReadOnlySpan<byte> json = block[(data + "data: ".Length)..];
        int lineEnd = json.IndexOf((byte)'\n');
        var reader = new Utf8JsonReader(lineEnd >= 0 ? json[..lineEnd] : json);
        while (reader.Read())
        {
            if (reader.TokenType == JsonTokenType.PropertyName && reader.CurrentDepth == 1 && reader.ValueTextEquals("payload"u8))
            {
                reader.Read();
                payload = reader.GetString();
                return payload is not null;
            }
        }

        return false;
    }
}
