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
    private long _lastMessageId;

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

    /// <summary>
    /// Delivers <paramref name="text"/> as a user turn; returns once OpenCode accepted it (retrying until then) and
    /// recorded it in the session (found by <paramref name="marker"/>, a string only this text contains).
    /// </summary>
    public async Task DeliverAsync(string text, string marker, CancellationToken cancellationToken)
    {
        var waiting = new RetryPace(FirstRetry, LastRetry, _time);
        while (true)
        {
            string? problem;
            cancellationToken.ThrowIfCancellationRequested();
            try
            {
                problem = await TryDeliverAsync(text, marker, cancellationToken);
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

    private async Task<string?> TryDeliverAsync(string text, string marker, CancellationToken cancellationToken)
    {
        string? session = _session ?? await FindLatestSessionAsync(cancellationToken);
        if (session is null)
        {
            return $"OpenCode at {_baseUrl} has no session yet (start one, or pass --session ID)";
        }

        await WaitUntilIdleAsync(session, cancellationToken);
        using var request = new HttpRequestMessage(HttpMethod.Post, new Uri(_baseUrl, $"session/{Uri.EscapeDataString(session)}/prompt_async"))
        {
            Content = new ByteArrayContent(PromptBody(NextMessageId(), text)),
        };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue("application/json");
        request.Headers.Authorization = _authorization;
        // A prompt once sent is seen through (the client's own timeout bounds it): stopping the bridge in the middle
        // would leave OpenCode with the prompt and the cursor without it, a repeat on the next start.
        using HttpResponseMessage response = await _http.SendAsync(request, CancellationToken.None);
        if (response.IsSuccessStatusCode)
        {
            await WaitUntilRecordedAsync(session, marker, CancellationToken.None);
            return null;
        }

        ThrowWhenUnauthorized(response);
        return response.StatusCode == HttpStatusCode.NotFound
            ? $"OpenCode has no session '{session}' (404)"
            : $"OpenCode answered {(int)response.StatusCode} to prompt_async for session '{session}'";
    }

    /// <summary>
    /// prompt_async answers 204 before OpenCode records the prompt, and prompts posted back to back were seen recorded
    /// out of order (1.18.33). Waiting until this one shows among the session's newest messages, before the next is
    /// posted, keeps seq order; after a bounded wait the bridge goes on, since the prompt was accepted and will run.
    /// </summary>
    private async Task WaitUntilRecordedAsync(string session, string marker, CancellationToken cancellationToken)
    {
        var pace = new RetryPace(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(200), _time);
        long deadline = _time.GetTimestamp() + (long)(5 * _time.TimestampFrequency);
        while (_time.GetTimestamp() < deadline)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, $"session/{Uri.EscapeDataString(session)}/message?limit=20"));
            request.Headers.Authorization = _authorization;
            using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            string body = await response.Content.ReadAsStringAsync(cancellationToken);
            if (ContainsText(body, marker))
            {
                return;
            }

            await pace.WaitAsync(cancellationToken);
        }

        await _diagnostics.WriteLineAsync($"meshfleet: OpenCode accepted a prompt for session '{session}' but did not list it within 5 s; going on.");
    }

    /// <summary>
    /// Waits while the session runs a turn (<c>GET /session/status</c> lists it as busy or retrying): a prompt posted into
    /// a running turn was seen persisted without a turn of its own (OpenCode 1.18, anomalyco/opencode#46842). Posted once
    /// the session is idle, each message starts its own turn, in seq order. The cursor waits with it, so nothing is lost.
    /// </summary>
    private async Task WaitUntilIdleAsync(string session, CancellationToken cancellationToken)
    {
        var pace = new RetryPace(TimeSpan.FromMilliseconds(50), TimeSpan.FromSeconds(1), _time);
        while (true)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, "session/status"));
            request.Headers.Authorization = _authorization;
            using HttpResponseMessage response = await _http.SendAsync(request, cancellationToken);
            if (!response.IsSuccessStatusCode)
            {
                return;
            }

            using JsonDocument statuses = JsonDocument.Parse(await response.Content.ReadAsStringAsync(cancellationToken));
            if (statuses.RootElement.ValueKind != JsonValueKind.Object
                || !statuses.RootElement.TryGetProperty(session, out JsonElement status)
                || !status.TryGetProperty("type", out JsonElement type)
                || type.ValueEquals("idle"))
            {
                return;
            }

            if (pace.Failures == 0)
            {
                await _diagnostics.WriteLineAsync($"meshfleet: OpenCode session '{session}' is {type.GetString()}; the next message waits for its turn to end.");
            }

            await pace.WaitAsync(cancellationToken);
        }
    }

    /// <summary>
    /// A message id in OpenCode's own ascending form (<c>msg_</c>, 12 hex digits of milliseconds × 4096 + a counter, 14
    /// random characters), which OpenCode orders a session's messages by: the bridge's prompts sort in seq order.
    /// </summary>
    private string NextMessageId()
    {
        long value = Math.Max(_time.GetUtcNow().ToUnixTimeMilliseconds() * 4096, _lastMessageId + 1);
        _lastMessageId = value;
        const string Alphabet = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";
        string random = string.Create(14, 0, (span, _) =>
        {
            for (int i = 0; i < span.Length; i++)
            {
                span[i] = Alphabet[System.Security.Cryptography.RandomNumberGenerator.GetInt32(Alphabet.Length)];
            }
        });
        return $"msg_{(value & 0xFFFF_FFFF_FFFF).ToString("x12", System.Globalization.CultureInfo.InvariantCulture)}{random}";
    }

    private static bool ContainsText(string messagesJson, string marker)
    {
        try
        {
            using JsonDocument messages = JsonDocument.Parse(messagesJson);
            if (messages.RootElement.ValueKind != JsonValueKind.Array)
            {
                return false;
            }

            foreach (JsonElement message in messages.RootElement.EnumerateArray())
            {
                if (message.TryGetProperty("parts", out JsonElement parts) && parts.ValueKind == JsonValueKind.Array
                    && parts.EnumerateArray().Any(p => p.TryGetProperty("text", out JsonElement t) && t.ValueKind == JsonValueKind.String && t.GetString()!.Contains(marker, StringComparison.Ordinal)))
                {
                    return true;
                }
            }
        }
        catch (JsonException)
        {
            // Not the shape we know: do not hold the queue up on it.
            return true;
        }

        return false;
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

    /// <summary><c>{"messageID":…,"parts":[{"type":"text","text":…}]}</c>, written directly: the one request shape the bridge sends.</summary>
    private static byte[] PromptBody(string messageId, string text)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            json.WriteString("messageID", messageId);
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
