using System.Net;
using System.Net.Http.Headers;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;

namespace Meshfleet.Cli;

/// <summary>
/// Follows one agent's inbox stream on whichever process holds the port, across dropped connections and hub takeovers:
/// it reconnects with Last-Event-ID = the last seq it yielded, and yields each message once, in seq order. Shared by
/// <c>watch</c> and the bridges, which save the cursor after handling each message.
/// </summary>
internal sealed class InboxFollower
{
    private static readonly TimeSpan FirstRetry = TimeSpan.FromMilliseconds(100);
    private static readonly TimeSpan LastRetry = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http;
    private readonly Uri _baseUrl;
    private readonly string _agentId;
    private readonly string? _token;
    private readonly TimeProvider _time;
    private readonly TextWriter _diagnostics;

    public InboxFollower(HttpClient http, Uri baseUrl, string agentId, string? token, TimeProvider time, TextWriter diagnostics)
    {
        _http = http;
        _baseUrl = baseUrl;
        _agentId = agentId;
        _token = token;
        _time = time;
        _diagnostics = diagnostics;
    }

    /// <summary>The mesh's newest seq (from /healthz), waiting until some process holds the port.</summary>
    public async Task<long> ReadHeadAsync(CancellationToken cancellationToken)
    {
        var waiting = new RetryPace(FirstRetry, LastRetry, _time);
        while (true)
        {
            try
            {
                using HttpResponseMessage response = await _http.GetAsync(new Uri(_baseUrl, "/healthz"), cancellationToken);
                response.EnsureSuccessStatusCode();
                await using Stream body = await response.Content.ReadAsStreamAsync(cancellationToken);
                HealthReport? health = await JsonSerializer.DeserializeAsync(body, MeshfleetJsonContext.Default.HealthReport, cancellationToken);
                return health?.Cursor ?? 0;
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException or JsonException || (ex is TaskCanceledException && !cancellationToken.IsCancellationRequested))
            {
                await ReportOutageAsync(waiting, ex.Message, cancellationToken);
            }
        }
    }

    /// <summary>Every message of the agent after <paramref name="after"/>, live, until cancelled; each once, in seq order.</summary>
    public async IAsyncEnumerable<FollowedMessage> FollowAsync(long after, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        long last = after;
        var waiting = new RetryPace(FirstRetry, LastRetry, _time);
        while (!cancellationToken.IsCancellationRequested)
        {
            IAsyncEnumerator<SseEvent> events = SseClient.ReadAsync(_http, StreamRequest(last), cancellationToken).GetAsyncEnumerator(cancellationToken);
            string? failure = null;
            try
            {
                while (true)
                {
                    bool more;
                    try
                    {
                        more = await events.MoveNextAsync();
                    }
                    catch (HttpRequestException ex) when (ex.StatusCode is HttpStatusCode.Unauthorized or HttpStatusCode.Forbidden or HttpStatusCode.BadRequest)
                    {
                        throw new CommandArgsException(ex.StatusCode == HttpStatusCode.BadRequest
                            ? $"the mesh at {_baseUrl} refused the stream of '{_agentId}' ({ex.Message})."
                            : $"the mesh at {_baseUrl} wants a token: set MESHFLEET_TOKEN (or --token) to the value the mesh was started with.");
                    }
                    catch (Exception ex) when (ex is HttpRequestException or IOException || (ex is OperationCanceledException && !cancellationToken.IsCancellationRequested))
                    {
                        failure = ex.Message;
                        break;
                    }

                    if (!more)
                    {
                        failure = "the stream ended";
                        break;
                    }

                    if (events.Current.Event != "message" || ParseMessage(events.Current.Data) is not { } message || message.Seq <= last)
                    {
                        continue;
                    }

                    if (waiting.Failures > 0)
                    {
                        await _diagnostics.WriteLineAsync($"meshfleet: following {_agentId} again (resumed after seq {last}).");
                        waiting.Reset();
                    }

                    last = message.Seq;
                    yield return new FollowedMessage(message, events.Current.Data);
                }
            }
            finally
            {
                await DisposeQuietlyAsync(events);
            }

            await ReportOutageAsync(waiting, failure, cancellationToken);
        }
    }

    private HttpRequestMessage StreamRequest(long after)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, new Uri(_baseUrl, $"/inbox/{Uri.EscapeDataString(_agentId)}/stream"));
        request.Headers.TryAddWithoutValidation("Last-Event-ID", after.ToString(System.Globalization.CultureInfo.InvariantCulture));
        if (_token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", _token);
        }

        return request;
    }

    private async Task ReportOutageAsync(RetryPace waiting, string? reason, CancellationToken cancellationToken)
    {
        // One line when the mesh goes away, not one per attempt: a monitor turns every stdout line into a model turn,
        // and stderr lines into noise. The first retry is quick because a takeover usually completes within a second.
        if (waiting.Failures == 0)
        {
            await _diagnostics.WriteLineAsync($"meshfleet: lost the stream of {_agentId} at {_baseUrl} ({reason}); retrying until a meshfleet process holds the port.");
        }

        await waiting.WaitAsync(cancellationToken);
    }

    private static MeshMessage? ParseMessage(string data)
    {
        try
        {
            return JsonSerializer.Deserialize(data, MeshfleetJsonContext.Default.MeshMessage);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static async Task DisposeQuietlyAsync(IAsyncEnumerator<SseEvent> events)
    {
        try
        {
            await events.DisposeAsync();
        }
        catch (Exception ex) when (ex is HttpRequestException or IOException or OperationCanceledException)
        {
            // The connection is already gone; nothing to release.
        }
    }
}
