using System.Net.Http.Headers;
using System.Text.Json;

namespace Meshfleet.Bench.Systems;

/// <summary>A client of the floor relay: POST /send/{to} with the same JSON arguments send_message takes.</summary>
internal sealed class FloorRelaySender : IMessageSender
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;

    public FloorRelaySender(Uri baseAddress)
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
            json.WriteString("to_agent_id", toAgentId);
            json.WriteString("payload", payload);
            json.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = Json;
        using HttpResponseMessage response = await _http.PostAsync($"send/{toAgentId}", content, cancellationToken);
        response.EnsureSuccessStatusCode();
        await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
