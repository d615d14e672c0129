using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The process holding the port dies with SIGKILL while others keep sending: another must take the port over quickly,
/// and a subscriber that resumes with Last-Event-ID must lose nothing. Runs alone because it measures the takeover.
/// </summary>
[Collection(TimingSensitive.Name)]
public sealed class HubTakeoverTests
{
    private const string Final = "end of test";
    private readonly ITestOutputHelper _output;

    public HubTakeoverTests(ITestOutputHelper output)
    {
        _output = output;
    }

    [Fact]
    public async Task Killed_hub_is_replaced_and_a_resuming_subscriber_gets_every_acknowledged_message_once_in_order()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        MeshNode[] senders = await Task.WhenAll(scope.StartNodeAsync(), scope.StartNodeAsync());
        Assert.Equal(hub.Pid, await scope.HubPidAsync());

        string url = (await senders[0].CallAsync("subscribe_inbox", new() { ["agent_id"] = "watcher" })).GetProperty("stream_url").GetString()!;
        var subscriber = new ResumingSubscriber(scope.Http, url);
        Task<int> takeover = Task.WhenAny(senders.Select(s => s.Listening)).Unwrap();
        Task reading = subscriber.ReadUntilAsync(Final, ct => takeover.WaitAsync(ct), scope.Timeout);

        var acknowledged = new ConcurrentQueue<(long Seq, string Id)>();
        using var stopSending = new CancellationTokenSource();
        Task[] sending = [.. senders.Select((node, i) => SendSteadilyAsync(node, $"sender-{i}", acknowledged, stopSending.Token))];

        await subscriber.WhenReceived(20).WaitAsync(scope.Timeout);
        Assert.False(takeover.IsCompleted, "a sender took the port while the hub was alive");
        var clock = Stopwatch.StartNew();
        await hub.KillAsync();
        TimeSpan exited = clock.Elapsed;
        int ackedAtKill = acknowledged.Count;
        await takeover.WaitAsync(scope.Timeout);
        TimeSpan announced = clock.Elapsed;
        int newHub = await WaitForHubOtherThanAsync(scope, hub.Pid);
        TimeSpan answered = clock.Elapsed;
        int ackedDuringTakeover = acknowledged.Count - ackedAtKill;
        await subscriber.Resumed.WaitAsync(scope.Timeout);
        TimeSpan resumed = clock.Elapsed;

        // Keep sending across the new hub for a while, then stop and mark the end.
        await subscriber.WhenReceived(acknowledged.Count + 20).WaitAsync(scope.Timeout);
        await stopSending.CancelAsync();
        await Task.WhenAll(sending);
        await senders[1].SendAsync("closer", "watcher", Final);
        await reading.WaitAsync(scope.Timeout);

        Assert.Contains(newHub, senders.Select(s => s.Pid));
        List<JsonElement> received = [.. subscriber.Received.SkipLast(1)];
        Assert.Equal(
            acknowledged.OrderBy(a => a.Seq),
            received.Select(m => (m.GetProperty("seq").GetInt64(), m.GetProperty("message_id").GetString()!)));
        Assert.True(subscriber.Connects >= 2, "the stream should have broken when the hub died");

        _output.WriteLine($"hub takeover: SIGKILL -> process gone {exited.TotalMilliseconds:F0} ms, new hub logs listening {announced.TotalMilliseconds:F0} ms, new pid answers /healthz {answered.TotalMilliseconds:F0} ms");
        _output.WriteLine($"subscriber: first message on the resumed stream {resumed.TotalMilliseconds:F0} ms after the kill; {subscriber.Connects} connections");
        _output.WriteLine($"messages: {received.Count} acknowledged and received exactly once; {ackedDuringTakeover} acknowledged while no process held the port");

        // The target is under 1 s; the bound is loose so a loaded 2-core CI box does not flake, the figure above is the measurement.
        Assert.True(answered < TimeSpan.FromSeconds(3), $"takeover took {answered.TotalMilliseconds:F0} ms");
    }

    /// <summary>
    /// Sends at a steady rate until stopped, recording what was acknowledged. Stopping is checked between sends, never
    /// inside one, so every send started is either acknowledged or fails the test. The rate is what a busy fleet sends;
    /// an unthrottled loop would starve a 2-core box and measure CPU contention instead of the takeover.
    /// </summary>
    private static async Task SendSteadilyAsync(MeshNode node, string from, ConcurrentQueue<(long Seq, string Id)> acknowledged, CancellationToken stop)
    {
        using var pace = new PeriodicTimer(TimeSpan.FromMilliseconds(5));
        for (int i = 0; !stop.IsCancellationRequested; i++)
        {
            JsonElement receipt = await node.SendAsync(from, "watcher", $"{from} #{i}");
            acknowledged.Enqueue((receipt.GetProperty("seq").GetInt64(), receipt.GetProperty("message_id").GetString()!));
            try
            {
                await pace.WaitForNextTickAsync(stop);
            }
            catch (OperationCanceledException)
            {
                return;
            }
        }
    }

    /// <summary>
    /// Probes /healthz until a process other than <paramref name="oldPid"/> answers. Called once the new hub has logged that
    /// it listens, so the first probe normally succeeds; the bound only guards against a hub that logs before it serves,
    /// with a backoff from 2 ms so the probes neither spin nor blur the takeover figure.
    /// </summary>
    private static Task<int> WaitForHubOtherThanAsync(MeshScope scope, int oldPid) => Poll.UntilAsync(
        async ct =>
        {
            try
            {
                JsonElement health = await scope.Http.GetFromJsonAsync<JsonElement>("/healthz", ct);
                return health.GetProperty("pid").GetInt32();
            }
            catch (HttpRequestException)
            {
                return 0; // Connection refused: nobody holds the port at this instant.
            }
        },
        pid => pid != 0 && pid != oldPid,
        TimeSpan.FromSeconds(10),
        $"a hub other than pid {oldPid} to answer /healthz (0: nobody answered)",
        scope.Timeout);
}
