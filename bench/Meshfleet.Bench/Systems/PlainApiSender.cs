using System.Net.Http.Headers;
using System.Text.Json;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// A client of Meshfleet's plain HTTP API: <c>POST /inbox/{to}/messages</c> with <c>{"from_agent_id","payload"}</c>, one
/// connection per sender, the same way <see cref="FloorRelaySender"/> posts to the floor relay.
/// </summary>
internal sealed class PlainApiSender : IMessageSender
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;

    public PlainApiSender(Uri baseAddress)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
    }

    public async ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("from_agent_id", fromAgentId);
            json.WriteString("payload", payload);
            json.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = Json;
        using HttpResponseMessage response = await _http.PostAsync($"inbox/{toAgentId}/messages", content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /inbox/{toAgentId}/messages answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
