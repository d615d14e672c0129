using System.Diagnostics;
using System.Globalization;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Bench.Systems;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// N concurrent sending clients, each sending to its own recipient as fast as acknowledgements come back (one send in
/// flight per client), for a fixed time. Every message must arrive at its recipient's subscriber exactly once and in order;
/// the rate counts a message when it is both acknowledged and delivered.
/// </summary>
internal static class ThroughputScenario
{
    private static readonly TimeSpan DrainTimeout = TimeSpan.FromSeconds(60);

    public static async Task<BenchResult> RunAsync(IMessagingSystem system, int senderCount, TimeSpan duration, BenchProgress progress, CancellationToken cancellationToken)
    {
        string run = Guid.NewGuid().ToString("N")[..8];
        string[] agents = Enumerable.Range(0, senderCount).Select(i => $"tp-{run}-{i}").ToArray();
        IInboxReader[] readers = await Task.WhenAll(agents.Select(a => system.SubscribeAsync(a, cancellationToken).AsTask()));
        IMessageSender[] senders = await Task.WhenAll(agents.Select(_ => system.ConnectSenderAsync(cancellationToken).AsTask()));
        var sent = new long[senderCount];
        var received = new long[senderCount];
        var lastArrival = new long[senderCount];
        var lastAck = new long[senderCount];
        int disorder = 0;
        var ack = new LatencyHistogram();
        using var stopReaders = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task[] reading = [];
        try
        {
            reading = Enumerable.Range(0, senderCount).Select(i => Task.Run(async () =>
            {
                while (!stopReaders.IsCancellationRequested)
                {
                    InboxDelivery delivery = await readers[i].ReceiveAsync(stopReaders.Token);
                    long expected = Volatile.Read(ref received[i]);
                    if (delivery.Payload != expected.ToString(CultureInfo.InvariantCulture))
                    {
                        Interlocked.Increment(ref disorder);
                    }

                    lastArrival[i] = delivery.ArrivedAt;
                    Volatile.Write(ref received[i], expected + 1);
                }
            })).ToArray();

            int? serverPid = system.ServerProcessId;
            double serverCpuBefore = serverPid is int before ? ProcessCpu.ReadSeconds(before) ?? 0 : 0;
            TimeSpan benchCpuBefore = Environment.CpuUsage.TotalTime;
            long start = Stopwatch.GetTimestamp();
            long deadline = start + (long)(duration.TotalSeconds * Stopwatch.Frequency);
            Task[] sending = Enumerable.Range(0, senderCount).Select(i => Task.Run(async () =>
            {
                long k = 0;
                long now = Stopwatch.GetTimestamp();
                while (now < deadline)
                {
                    await senders[i].SendAsync("tp-src-" + i, agents[i], k.ToString(CultureInfo.InvariantCulture), cancellationToken);
                    long acked = Stopwatch.GetTimestamp();
                    ack.RecordBetween(now, acked);
                    now = acked;
                    Volatile.Write(ref sent[i], ++k);
                }

                lastAck[i] = now;
            })).ToArray();

            while (!Task.WhenAll(sending).IsCompleted)
            {
                await Task.Delay(100, cancellationToken);
                progress.Update($"{system.Name}, {senderCount} senders: {sent.Sum()} sent, {received.Sum()} delivered");
            }

            await Task.WhenAll(sending);
            long drainDeadline = Stopwatch.GetTimestamp() + (long)(DrainTimeout.TotalSeconds * Stopwatch.Frequency);
            while (Enumerable.Range(0, senderCount).Any(i => Volatile.Read(ref received[i]) < sent[i]) && Stopwatch.GetTimestamp() < drainDeadline && !reading.Any(t => t.IsFaulted))
            {
                await Task.Delay(1, cancellationToken);
            }

            long total = sent.Sum();
            long delivered = received.Sum();
            long end = Math.Max(lastAck.Max(), lastArrival.Max());
            double seconds = (end - start) / (double)Stopwatch.Frequency;
            double serverCpu = serverPid is int after ? (ProcessCpu.ReadSeconds(after) ?? 0) - serverCpuBefore : 0;
            double benchCpu = (Environment.CpuUsage.TotalTime - benchCpuBefore).TotalSeconds;
            string cpu = string.Create(CultureInfo.InvariantCulture,
                $"server CPU {serverCpu / seconds:F2} cores = {serverCpu * 1e6 / Math.Max(1, total):F0} us/msg; bench client {benchCpu / seconds:F2} cores");
            Exception? readFailure = reading.Where(t => t.IsFaulted).Select(t => t.Exception!.GetBaseException()).FirstOrDefault(e => e is not OperationCanceledException);
            await stopReaders.CancelAsync();
            bool verified = delivered == total && disorder == 0 && readFailure is null;
            return new BenchResult("throughput", system.Name, $"{senderCount} senders")
            {
                AckLatency = ack.Summarize(),
                RatePerSecond = total / seconds,
                RssMiB = system.ServerProcessId is int pid ? ProcessMemory.ReadRssMiB(pid) : null,
                Count = total,
                Verified = verified,
                ServerCpuUsPerMessage = serverPid is null ? null : serverCpu * 1e6 / Math.Max(1, total),
                Note = verified ? cpu : $"{delivered} of {total} delivered, {disorder} out of order{(readFailure is null ? string.Empty : "; " + readFailure.Message)}; {cpu}",
            };
        }
        finally
        {
            await stopReaders.CancelAsync();
            await Task.WhenAll(reading).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            await Task.WhenAll(senders.Select(s => s.DisposeAsync().AsTask()).Concat(readers.Select(r => r.DisposeAsync().AsTask())));
        }
    }
}
