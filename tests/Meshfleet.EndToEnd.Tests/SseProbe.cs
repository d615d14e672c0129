using System.Text;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Reads an SSE response block by block (up to each blank line), as raw text, so tests can check the exact bytes.</summary>
internal sealed class SseProbe : IAsyncDisposable
{
    private readonly HttpResponseMessage _response;
    private readonly Stream _body;
    private readonly byte[] _buffer = new byte[64 * 1024];
    private readonly StringBuilder _pending = new();

    private SseProbe(HttpResponseMessage response, Stream body)
    {
        _response = response;
        _body = body;
    }

    public HttpResponseMessage Response => _response;

    public static async Task<SseProbe> OpenAsync(HttpClient http, string url, CancellationToken cancellationToken, string? lastEventId = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, url);
        if (lastEventId is not null)
        {
            request.Headers.Add("Last-Event-ID", lastEventId);
        }

        HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        return new SseProbe(response, body);
    }

    /// <summary>The next block including its terminating blank line, e.g. "id: 3\nevent: message\ndata: {...}\n\n".</summary>
    public async Task<string> ReadBlockAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            string text = _pending.ToString();
            int end = text.IndexOf("\n\n", StringComparison.Ordinal);
            if (end >= 0)
            {
                _pending.Remove(0, end + 2);
                return text[..(end + 2)];
            }

            int read = await _body.ReadAsync(_buffer, cancellationToken);
            if (read == 0)
            {
                throw new EndOfStreamException("stream ended; pending: " + text);
            }

            _pending.Append(Encoding.UTF8.GetString(_buffer, 0, read));
        }
    }

    /// <summary>The next block that is an event (skipping the retry preamble and comments such as heartbeats).</summary>
    public async Task<string> ReadEventAsync(CancellationToken cancellationToken)
    {
        while (true)
        {
            string block = await ReadBlockAsync(cancellationToken);
            if (!block.StartsWith(':') && !block.StartsWith("retry:", StringComparison.Ordinal))
            {
                return block;
            }
        }
    }

    /// <summary>The next message event's data, after checking that the event's id is the message's seq.</summary>
    public async Task<JsonElement> ReadMessageAsync(CancellationToken cancellationToken)
    {
        string block = await ReadEventAsync(cancellationToken);
        string[] lines = block.TrimEnd('\n').Split('\n');
        Assert.True(lines.Length == 3 && lines[1] == "event: message", $"not a message event: {block}");
        JsonElement message = JsonDocument.Parse(lines[2]["data: ".Length..]).RootElement.Clone();
        Assert.Equal($"id: {message.GetProperty("seq").GetInt64()}", lines[0]);
        return message;
    }

    public async ValueTask DisposeAsync()
    {
        await _body.DisposeAsync();
        _response.Dispose();
    }
}
