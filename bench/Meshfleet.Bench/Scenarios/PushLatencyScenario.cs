using System.Diagnostics;
using System.Globalization;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Systems;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// One sender, one subscriber, one message at a time: send call to the message's arrival on the subscriber's socket
/// (what an agent sees), and send call to acknowledgement (the durable-write part).
/// </summary>
internal static class PushLatencyScenario
{
    private const int Warmup = 50;

    public static async Task<BenchResult> RunAsync(IMessagingSystem system, int sends, BenchProgress progress, CancellationToken cancellationToken)
    {
        string agent = "push-" + Guid.NewGuid().ToString("N")[..8];
        await using IInboxReader reader = await system.SubscribeAsync(agent, cancellationToken);
        await using IMessageSender sender = await system.ConnectSenderAsync(cancellationToken);
        var push = new LatencyHistogram();
        var ack = new LatencyHistogram();
        long measuredFrom = 0;
        double serverCpuBefore = 0;
        for (int i = 0; i < Warmup + sends; i++)
        {
            if (i == Warmup)
            {
                measuredFrom = Stopwatch.GetTimestamp();
                serverCpuBefore = system.ServerProcessId is int measured ? ProcessCpu.ReadSeconds(measured) ?? 0 : 0;
            }

            string payload = "ping-" + i;
            Task<InboxDelivery> next = reader.ReceiveAsync(cancellationToken).AsTask();
            long start = Stopwatch.GetTimestamp();
            await sender.SendAsync("bench-a", agent, payload, cancellationToken);
            long acked = Stopwatch.GetTimestamp();
            InboxDelivery delivery = await next.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
            if (delivery.Payload != payload)
            {
                throw new InvalidOperationException($"{system.Name}: expected payload '{payload}', received '{delivery.Payload}'.");
            }

            if (i >= Warmup)
            {
                push.RecordBetween(start, delivery.ArrivedAt);
                ack.RecordBetween(start, acked);
            }

            progress.Update(i < Warmup ? $"{system.Name}: warm-up {i + 1}/{Warmup}" : $"{system.Name}: {i + 1 - Warmup}/{sends} sends");
        }

        double seconds = Stopwatch.GetElapsedTime(measuredFrom).TotalSeconds;
        double? serverCpu = system.ServerProcessId is int server ? ProcessCpu.ReadSeconds(server) - serverCpuBefore : null;
        return new BenchResult("push", system.Name, "1 sender, in sequence")
        {
            Latency = push.Summarize(),
            AckLatency = ack.Summarize(),
            RatePerSecond = sends / seconds,
            RssMiB = system.ServerProcessId is int pid ? ProcessMemory.ReadRssMiB(pid) : null,
            Count = sends,
            Verified = true,
            Note = serverCpu is double cpu ? string.Create(CultureInfo.InvariantCulture, $"server CPU {cpu * 1e6 / sends:F0} us/msg") : null,
        };
    }
}
