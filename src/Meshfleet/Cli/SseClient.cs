using System.Runtime.CompilerServices;
using System.Text;

namespace Meshfleet.Cli;

/// <summary>A minimal SSE reader over HTTP GET, for the demo, <c>watch</c> and the bridges.</summary>
internal static class SseClient
{
    public static IAsyncEnumerable<SseEvent> ReadAsync(HttpClient http, string url, CancellationToken cancellationToken) =>
        ReadAsync(http, new HttpRequestMessage(HttpMethod.Get, url), cancellationToken);

    /// <summary>Sends <paramref name="request"/> (a GET, with whatever headers the caller set) and reads its events; disposes the request.</summary>
    public static async IAsyncEnumerable<SseEvent> ReadAsync(HttpClient http, HttpRequestMessage request, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        using HttpRequestMessage owned = request;
        request.Headers.Accept.ParseAdd("text/event-stream");
        using HttpResponseMessage response = await http.SendAsync(request, HttpCompletionOption.ResponseHeadersRead, cancellationToken);
        response.EnsureSuccessStatusCode();
        using var reader = new StreamReader(await response.Content.ReadAsStreamAsync(cancellationToken), Encoding.UTF8);
        string? id = null;
        string type = "message";
        var data = new StringBuilder();
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            if (line.Length == 0)
            {
                if (data.Length > 0)
                {
                    yield return new SseEvent(id, type, data.ToString());
                }

                id = null;
                type = "message";
                data.Clear();
            }
            else if (line.StartsWith("id: ", StringComparison.Ordinal))
            {
                id = line[4..];
            }
            else if (line.StartsWith("event: ", StringComparison.Ordinal))
            {
                type = line[7..];
            }
            else if (line.StartsWith("data: ", StringComparison.Ordinal))
            {
                data.Append(line, 6, line.Length - 6);
            }
        }
    }
}
