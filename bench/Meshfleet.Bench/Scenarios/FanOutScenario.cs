using System.Diagnostics;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Systems;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// Many live subscribers on one server: agents of up to 1,000 streams each (Meshfleet's per-agent cap is at most 1,000),
/// one message per agent per round, and the time from the send call to each subscriber's copy. Also the server's
/// resident memory before the subscribers, with all of them connected, and after the deliveries. The first rounds are
/// warm-up (not recorded): the server is fresh, and its first deliveries run on unoptimised JIT code.
/// </summary>
internal static class FanOutScenario
{
    public const int StreamsPerAgent = 1000;
    private const int OpenConcurrency = 64;
    private static readonly TimeSpan RoundTimeout = TimeSpan.FromSeconds(60);

    public static async Task<BenchResult> RunAsync(IMessagingSystem system, int subscriberCount, int rounds, BenchProgress progress, CancellationToken cancellationToken)
    {
        int groups = (subscriberCount + StreamsPerAgent - 1) / StreamsPerAgent;
        string run = Guid.NewGuid().ToString("N")[..8];
        string[] agents = Enumerable.Range(0, groups).Select(g => $"fan-{run}-{g}").ToArray();
        int pid = system.ServerProcessId ?? throw new InvalidOperationException($"{system.Name} has no server process to measure.");
        double rssBefore = ProcessMemory.ReadRssMiB(pid) ?? 0;
        var readers = new IInboxReader[subscriberCount];
        int opened = 0;
        using var gate = new SemaphoreSlim(OpenConcurrency);
        long connectStart = Stopwatch.GetTimestamp();
        using var stopReaders = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task[] reading = [];
        try
        {
            await Task.WhenAll(Enumerable.Range(0, subscriberCount).Select(async s =>
            {
                await gate.WaitAsync(cancellationToken);
                try
                {
                    readers[s] = await system.SubscribeAsync(agents[s % groups], cancellationToken);
                    progress.Update($"{system.Name}: {Interlocked.Increment(ref opened)}/{subscriberCount} subscribers connected");
                }
                finally
                {
                    gate.Release();
                }
            }));
            double connectSeconds = Stopwatch.GetElapsedTime(connectStart).TotalSeconds;
            await Task.Delay(500, cancellationToken);
            double rssConnected = ProcessMemory.ReadRssMiB(pid) ?? 0;

            var latency = new LatencyHistogram();
            var sentAt = new long[groups];
            int remaining = 0;
            bool measuring = false;
            int warmupRounds = Math.Max(1, rounds / 5);
            var roundDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            reading = Enumerable.Range(0, subscriberCount).Select(s => Task.Run(async () =>
            {
                int group = s % groups;
                while (!stopReaders.IsCancellationRequested)
                {
                    InboxDelivery delivery = await readers[s].ReceiveAsync(stopReaders.Token);
                    if (Volatile.Read(ref measuring))
                    {
                        latency.RecordBetween(Volatile.Read(ref sentAt[group]), delivery.ArrivedAt);
                    }

                    if (Interlocked.Decrement(ref remaining) == 0)
                    {
                        Volatile.Read(ref roundDone).TrySetResult();
                    }
                }
            })).ToArray();

            await using IMessageSender sender = await system.ConnectSenderAsync(cancellationToken);
            string? failure = null;
            for (int round = -warmupRounds; round < rounds; round++)
            {
                Volatile.Write(ref measuring, round >= 0);
                Volatile.Write(ref roundDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
                Volatile.Write(ref remaining, subscriberCount);
                for (int g = 0; g < groups; g++)
                {
                    Volatile.Write(ref sentAt[g], Stopwatch.GetTimestamp());
                    await sender.SendAsync("fan-src", agents[g], "round-" + round, cancellationToken);
                }

                try
                {
                    await roundDone.Task.WaitAsync(RoundTimeout, cancellationToken);
                }
                catch (TimeoutException)
                {
                    failure = $"round {round}: {Volatile.Read(ref remaining)} of {subscriberCount} copies missing after {RoundTimeout.TotalSeconds:F0} s";
                    break;
                }

                progress.Update(round < 0 ? $"{system.Name}: warm-up round delivered to {subscriberCount}" : $"{system.Name}: round {round + 1}/{rounds} delivered to {subscriberCount}");
            }

            double rssAfter = ProcessMemory.ReadRssMiB(pid) ?? 0;
            await stopReaders.CancelAsync();
            double perSubscriberKiB = (rssConnected - rssBefore) * 1024 / subscriberCount;
            return new BenchResult("fan-out", system.Name, $"{subscriberCount} subscribers")
            {
                Latency = latency.Summarize(),
                RssMiB = rssAfter,
                Count = latency.Count,
                Verified = failure is null && latency.Count == (long)subscriberCount * rounds,
                Note = failure ?? $"{rounds} rounds after {warmupRounds} warm-up; RSS {rssBefore:F0} MiB before, {rssConnected:F0} MiB connected ({perSubscriberKiB:F1} KiB/subscriber); connect {connectSeconds:F1} s",
            };
        }
        finally
        {
            await stopReaders.CancelAsync();
            await Task.WhenAll(reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Task.WhenAll(readers.Where(r => r is not null).Select(r => r.DisposeAsync().AsTask()));
        }
    }
}
