using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;

namespace Meshfleet.Cli;

/// <summary>
/// Wakes an OpenCode session for each message: <c>POST /session/{id}/prompt_async</c> on an <c>opencode serve</c> (or a TUI
/// started with <c>--port</c>), which answers 204 at once and runs a turn; posts during a busy turn are queued by
/// OpenCode. The session is the one given, else the most recently updated top-level session. A message is handed on
/// only after OpenCode accepted it; until then the bridge retries, so nothing is skipped.
/// </summary>
internal sealed class OpenCodeBridge
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(200);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(5);

    private readonly HttpClient _http;
    private readonly Uri _baseUrl;
    private readonly string? _session;
    private readonly AuthenticationHeaderValue? _authorization;
    private readonly TextWriter _diagnostics;
    private readonly TimeProvider _time;

    public OpenCodeBridge(HttpClient http, Uri baseUrl, string? session, string? username, string? password, TextWriter diagnostics, TimeProvider time)
    {
        _http = http;
        _baseUrl = baseUrl;
        _session = session;
        _diagnostics = diagnostics;
        _time = time;
        if (!string.IsNullOrEmpty(password))
        {
            string pair = $"{(string.IsNullOrEmpty(username) ? "opencode" : username)}:{password}";
            _authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(pair)));
        }
    }

    /// <summary>Delivers <paramref name="text"/> as a user turn; returns once OpenCode accepted it (retrying until then).</summary>
    public async Task DeliverAsync(string text, CancellationToken cancellationToken)
    {
        var waiting = new RetryPace(FirstRetry, LastRetry, _time);
        while (true)
        {
            string? problem;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                // A request once sent is seen through (the client's own timeout bounds it): stopping the bridge in the
                // middle would leave OpenCode with the prompt and the cursor without it, a repeat on the next start.
                problem = await TryDeliverAsync(text, CancellationToken.None);
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or TaskCanceledException)
            {
                problem = $"OpenCode at {_baseUrl} is not answering ({ex.Message})";
            }

            if (problem is null)
            {
                if (waiting.Failures > 0)
                {
                    await _diagnostics.WriteLineAsync("meshfleet: OpenCode accepts messages again.");
                }

                return;
            }

            if (waiting.Failures == 0)
            {
                await _diagnostics.WriteLineAsync($"meshfleet: {problem}; retrying (the message stays queued).");
            }

            await waiting.WaitAsync(cancellationToken);
        }
    }

    private async Task<string?> TryDeliverAsync(string text, CancellationToken cancellationToken)
    {
        string? session = _session ?? await FindLatestSessionAsync(cancellationToken);
        if (session is null)
        {
            return $"OpenCode at {_baseUrl} has no session yet (start one, or pass --session ID)";
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, $"session/{Uri.EscapeDataString(session)}/prompt_async"))
        {
            Content = new ByteArrayContent(PromptBody(text)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = _authorization;
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken);
        if (response.IsSuccessStatusCode)
        {
            return null;
        }

        ThrowWhenUnauthorized(response);
        return response.StatusCode == HttpStatusCode.NotFound
            ? $"OpenCode has no session '{session}' (404)"
            : $"OpenCode answered {(int)response.StatusCode} to prompt_async for session '{session}'";
    }

    private async Task<string?> FindLatestSessionAsync(CancellationToken cancellationToken)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, "session?roots=true"));
        request.Headers.Authorization = _authorization;
        using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken);
        ThrowWhenUnauthorized(response);
        response.EnsureSuccessStatusCode();
        await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
        using JsonDocument sessions = await JsonDocument.ParseAsync(body, cancellationToken: cancellationToken);
        if (sessions.RootElement.ValueKind != JsonValueKind.Array)
        {
            return null;
        }

        // OpenCode lists sessions most recently updated first; child sessions (subagents) are skipped, they end with their task.
        foreach (JsonElement session in sessions.RootElement.EnumerateArray())
        {
            if (!session.TryGetProperty("parentID", out _) && session.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.String)
            {
                return id.GetString();
            }
        }

        return null;
    }

    private void ThrowWhenUnauthorized(HttpResponseMessage response)
    {
        if (response.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden)
        {
            throw new CommandArgsException($"OpenCode at {_baseUrl} refused the bridge ({(int)response.StatusCode}): set OPENCODE_SERVER_PASSWORD (and OPENCODE_SERVER_USERNAME if it is not 'opencode') to what the OpenCode server uses.");
        }
    }

    /// <summary><c>{"parts":[{"type":"text","text":…}]}</c>, written directly: the one request shape the bridge sends.</summary>
    private static byte[] PromptBody(string text)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteStartArray("parts");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", text);
            json.WriteEndObject();
            json.WriteEndArray();
            json.WriteEndObject();
        }

        return buffer.ToArray();
    }
}
