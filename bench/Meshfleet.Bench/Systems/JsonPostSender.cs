using System.Net.Http.Headers;
using System.Text.Json;

namespace Meshfleet.Bench.Systems;

/// <summary>
/// A sender that POSTs <c>{"from_agent_id"[,"to_agent_id"],"payload"}</c> over one connection: the floor relay
/// (<c>POST /send/{to}</c>, recipient also in the body, as send_message takes it) and Meshfleet's plain HTTP API
/// (<c>POST /inbox/{to}/messages</c>, recipient in the path only) are measured through the same client code.
/// </summary>
internal sealed class JsonPostSender : IMessageSender
{
    private static readonly MediaTypeHeaderValue Json = new("application/json");
    private readonly HttpClient _http;
    private readonly Func<string, string> _path;
    private readonly bool _recipientInBody;

    private JsonPostSender(Uri baseAddress, Func<string, string> path, bool recipientInBody)
    {
        _http = new HttpClient { BaseAddress = baseAddress, Timeout = TimeSpan.FromSeconds(30) };
        _path = path;
        _recipientInBody = recipientInBody;
    }

    /// <summary>A client of the floor relay: POST /send/{to} with the same JSON arguments send_message takes.</summary>
    public static JsonPostSender FloorRelay(Uri baseAddress) => new(baseAddress, to => $"send/{to}", recipientInBody: true);

    /// <summary>A client of Meshfleet's plain HTTP API: POST /inbox/{to}/messages.</summary>
    public static JsonPostSender PlainApi(Uri baseAddress) => new(baseAddress, to => $"inbox/{to}/messages", recipientInBody: false);

    public async ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken)
    {
        using var body = new MemoryStream();
        using (var json = new Utf8JsonWriter(body))
        {
            json.WriteStartObject();
            json.WriteString("from_agent_id", fromAgentId);
            if (_recipientInBody)
            {
                json.WriteString("to_agent_id", toAgentId);
            }

            json.WriteString("payload", payload);
            json.WriteEndObject();
        }

        using var content = new ByteArrayContent(body.GetBuffer(), 0, (int)body.Length);
        content.Headers.ContentType = Json;
        string path = _path(toAgentId);
        using HttpResponseMessage response = await _http.PostAsync(path, content, cancellationToken);
        if (!response.IsSuccessStatusCode)
        {
            throw new InvalidOperationException($"POST /{path} answered {(int)response.StatusCode}: {await response.Content.ReadAsStringAsync(cancellationToken)}");
        }

        await response.Content.ReadAsByteArrayAsync(cancellationToken);
    }

    public ValueTask DisposeAsync()
    {
        _http.Dispose();
        return ValueTask.CompletedTask;
    }
}
