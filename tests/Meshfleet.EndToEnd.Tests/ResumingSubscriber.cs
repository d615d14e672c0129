using System.Globalization;
using System.Net;
using System.Text.Json;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// An SSE client that behaves as the spec asks of agents: when its stream breaks it reconnects to the same URL with
/// Last-Event-ID set to the last seq it saw. It records every message it receives so a test can check for gaps and
/// duplicates across reconnects.
/// </summary>
internal sealed class ResumingSubscriber
{
    private const int MaxConnects = 50;
    private readonly HttpClient _http;
    private readonly string _url;
    private readonly List<JsonElement> _received = [];
    private readonly List<(int Count, TaskCompletionSource Reached)> _waiters = [];
    private readonly TaskCompletionSource _resumed = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private long _lastSeq;
    private int _connects;

    public ResumingSubscriber(HttpClient http, string url)
    {
        _http = http;
        _url = url;
    }

    /// <summary>Every message received, in arrival order, over every connection.</summary>
    public IReadOnlyList<JsonElement> Received
    {
        get
        {
            lock (_received)
            {
                return [.. _received];
            }
        }
    }

    /// <summary>How many times the stream was opened (1 when it never broke).</summary>
    public int Connects => Volatile.Read(ref _connects);

    /// <summary>Completes when the first message arrives over a reconnected stream.</summary>
    public Task Resumed => _resumed.Task;

    /// <summary>Completes once at least <paramref name="count"/> messages have arrived.</summary>
    public Task WhenReceived(int count)
    {
        lock (_received)
        {
            if (_received.Count >= count)
            {
                return Task.CompletedTask;
            }

            var reached = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((count, reached));
            return reached.Task;
        }
    }

    /// <summary>
    /// Reads until a message whose payload is <paramref name="finalPayload"/> arrives (it is recorded too). After a break it
    /// waits for <paramref name="hubAvailable"/> before reconnecting: a real client waits the stream's <c>retry</c> interval,
    /// a test waits for the event that makes a reconnect worth trying, so it neither sleeps nor spins.
    /// </summary>
    public async Task ReadUntilAsync(string finalPayload, Func<CancellationToken, Task> hubAvailable, CancellationToken cancellationToken)
    {
        while (true)
        {
            if (++_connects > MaxConnects)
            {
                throw new InvalidOperationException($"gave up after {MaxConnects} connection attempts to {_url}");
            }

            string? lastEventId = _lastSeq > 0 ? _lastSeq.ToString(CultureInfo.InvariantCulture) : null;
            try
            {
                await using SseProbe probe = await SseProbe.OpenAsync(_http, _url, cancellationToken, lastEventId);
                if (probe.Response.StatusCode != HttpStatusCode.OK)
                {
                    throw new HttpRequestException($"stream answered {(int)probe.Response.StatusCode}");
                }

                while (true)
                {
                    JsonElement message = await probe.ReadMessageAsync(cancellationToken);
                    Record(message);
                    if (message.GetProperty("payload").GetString() == finalPayload)
                    {
                        return;
                    }
                }
            }
            catch (Exception ex) when (ex is HttpRequestException or IOException && !cancellationToken.IsCancellationRequested)
            {
                // The hub went away (EndOfStreamException is an IOException): resume from the last seq once one may be back.
                await hubAvailable(cancellationToken);
            }
        }
    }

    private void Record(JsonElement message)
    {
        _lastSeq = message.GetProperty("seq").GetInt64();
        if (_connects > 1)
        {
            _resumed.TrySetResult();
        }

        lock (_received)
        {
            _received.Add(message);
            foreach ((int count, TaskCompletionSource reached) in _waiters.Where(w => _received.Count >= w.Count).ToList())
            {
                reached.TrySetResult();
                _waiters.Remove((count, reached));
            }
        }
    }
}
