using System.Diagnostics;
using System.Globalization;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Systems;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// One sender, one subscriber, one message at a time: send call to the message's arrival on the subscriber's socket
/// (what an agent sees), and send call to acknowledgement (the durable-write part). A warm-up of the same loop runs
/// first for a fixed time, so tiered JIT and the thread pool have settled on every system alike.
/// </summary>
internal static class PushLatencyScenario
{
    private const int MinimumWarmupSends = 50;

    public static async Task<BenchResult> RunAsync(IMessagingSystem system, int sends, TimeSpan warmup, BenchProgress progress, CancellationToken cancellationToken)
    {
        string agent = "push-" + Guid.NewGuid().ToString("N")[..8];
        await using IInboxReader reader = await system.SubscribeAsync(agent, cancellationToken);
        await using IMessageSender sender = await system.ConnectSenderAsync(cancellationToken);

        long warmupEnd = Stopwatch.GetTimestamp() + (long)(warmup.TotalSeconds * Stopwatch.Frequency);
        int warmupSends = 0;
        while (warmupSends < MinimumWarmupSends || Stopwatch.GetTimestamp() < warmupEnd)
        {
            await SendOnceAsync(system, sender, reader, agent, "warm-" + warmupSends++, cancellationToken);
            progress.Update($"{system.Name}: warm-up, {warmupSends} sends");
        }

        var push = new LatencyHistogram();
        var ack = new LatencyHistogram();
        double? serverCpuBefore = system.ServerProcessId is int before ? ProcessCpu.ReadSeconds(before) : null;
        long measuredFrom = Stopwatch.GetTimestamp();
        for (int i = 0; i < sends; i++)
        {
            (long start, long acked, long arrived) = await SendOnceAsync(system, sender, reader, agent, "ping-" + i, cancellationToken);
            push.RecordBetween(start, arrived);
            ack.RecordBetween(start, acked);
            progress.Update($"{system.Name}: {i + 1}/{sends} sends");
        }

        double seconds = Stopwatch.GetElapsedTime(measuredFrom).TotalSeconds;
        double? serverCpu = system.ServerProcessId is int after ? ProcessCpu.ReadSeconds(after) - serverCpuBefore : null;
        return new BenchResult("push", system.Name, "1 sender, in sequence")
        {
            Latency = push.Summarize(),
            AckLatency = ack.Summarize(),
            RatePerSecond = sends / seconds,
            RssMiB = system.ServerProcessId is int pid ? ProcessMemory.ReadRssMiB(pid) : null,
            Count = sends,
            Verified = true,
            Note = string.Create(CultureInfo.InvariantCulture, $"after {warmupSends} warm-up sends") +
                (serverCpu is double cpu ? string.Create(CultureInfo.InvariantCulture, $"; server CPU {cpu * 1e6 / sends:F0} us/msg") : string.Empty),
        };
    }

    /// <summary>Sends one message with the subscriber already reading; returns when it was sent, acknowledged and pushed.</summary>
    private static async Task<(long Start, long Acked, long Arrived)> SendOnceAsync(
        IMessagingSystem system,
        IMessageSender sender,
        IInboxReader reader,
        string agent,
        string payload,
        CancellationToken cancellationToken)
    {
        Task<InboxDelivery> next = reader.ReceiveAsync(cancellationToken).AsTask();
        long start = Stopwatch.GetTimestamp();
        await sender.SendAsync("bench-a", agent, payload, cancellationToken);
        long acked = Stopwatch.GetTimestamp();
        InboxDelivery delivery = await next.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        if (delivery.Payload != payload)
        {
            throw new InvalidOperationException($"{system.Name}: expected payload '{payload}', received '{delivery.Payload}'.");
        }

        return (start, acked, delivery.ArrivedAt);
    }
}
