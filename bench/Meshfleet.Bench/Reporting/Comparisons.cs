using System.Globalization;

namespace Meshfleet.Bench.Reporting;

/// <summary>Meshfleet's figures against the floor, Redis and NATS, and against the product's targets.</summary>
internal static class Comparisons
{
    private static readonly string[] References = ["floor", "redis-aof-everysec", "redis-aof-always", "nats-jetstream"];

    public static IReadOnlyList<RatioLine> Ratios(IReadOnlyList<BenchResult> results)
    {
        var ratios = new List<RatioLine>();
        foreach (string meshfleet in new[] { "meshfleet-http", "meshfleet-api", "meshfleet-stdio" })
        {
            double? p50 = Find(results, "push", meshfleet)?.Latency?.P50;
            foreach (string reference in References)
            {
                if (p50 is > 0 && Find(results, "push", reference)?.Latency?.P50 is > 0 and double theirs)
                {
                    double value = p50.Value / theirs;
                    ratios.Add(new RatioLine($"push p50 ({meshfleet})", reference, value, $"Meshfleet takes {value:F2}x the time of {reference}"));
                }
            }
        }

        foreach (string meshfleet in new[] { "meshfleet-http", "meshfleet-api" })
        {
            foreach (string variant in new[] { "1 senders", "8 senders", "32 senders" })
            {
                double? ours = Find(results, "throughput", meshfleet, variant)?.RatePerSecond;
                foreach (string reference in References)
                {
                    if (ours is > 0 && Find(results, "throughput", reference, variant)?.RatePerSecond is > 0 and double theirs)
                    {
                        double value = ours.Value / theirs;
                        string label = meshfleet == "meshfleet-http" ? $"throughput, {variant}" : $"throughput, {variant} (api)";
                        ratios.Add(new RatioLine(label, reference, value, $"Meshfleet delivers {value:F2}x the messages/s of {reference}"));
                    }
                }
            }
        }

        foreach (BenchResult fanOut in results.Where(r => r.Scenario == "fan-out" && r.System == "meshfleet-http"))
        {
            BenchResult? floor = Find(results, "fan-out", "floor", fanOut.Variant);
            if (floor?.Latency?.P99 is > 0 && fanOut.Latency is not null)
            {
                double value = fanOut.Latency.P99 / floor.Latency.P99;
                ratios.Add(new RatioLine($"fan-out p99, {fanOut.Variant}", "floor", value, $"Meshfleet takes {value:F2}x the time of the floor"));
            }

            if (floor?.RssMiB is > 0 && fanOut.RssMiB is double rss)
            {
                double value = rss / floor.RssMiB.Value;
                ratios.Add(new RatioLine($"fan-out RSS, {fanOut.Variant}", "floor", value, $"Meshfleet holds {value:F2}x the floor's memory"));
            }
        }

        return ratios;
    }

    public static IReadOnlyList<TargetCheck> Targets(IReadOnlyList<BenchResult> results)
    {
        var targets = new List<TargetCheck>();
        double? floorPush = Find(results, "push", "floor")?.Latency?.P50;
        // Issue 14's bounds: stdio MCP within 2x the floor, Streamable HTTP MCP within 3x.
        foreach ((string system, string transport, double bound) in new[] { ("meshfleet-http", "HTTP MCP", 3.0), ("meshfleet-stdio", "stdio MCP", 2.0) })
        {
            double? meshfleetPush = Find(results, "push", system)?.Latency?.P50;
            targets.Add(meshfleetPush is double ours && floorPush is double floor
                ? new TargetCheck(F($"push p50 <= {bound:F0}x the floor ({transport})"), F($"{ours:F3} ms vs floor {floor:F3} ms = {ours / floor:F2}x"), ours <= bound * floor)
                : new TargetCheck(F($"push p50 <= {bound:F0}x the floor ({transport})"), "not measured", null));
        }

        double? apiPush = Find(results, "push", "meshfleet-api")?.Latency?.P50;
        targets.Add(apiPush is double api && floorPush is double relay
            ? new TargetCheck("push p50 <= 1.5x the floor (plain HTTP API)", F($"{api:F3} ms vs floor {relay:F3} ms = {api / relay:F2}x"), api <= 1.5 * relay)
            : new TargetCheck("push p50 <= 1.5x the floor (plain HTTP API)", "not measured", null));
        BenchResult? apiThroughput = Find(results, "throughput", "meshfleet-api", "32 senders");
        targets.Add(apiThroughput?.ServerCpuUsPerMessage is double cpu
            ? new TargetCheck("server CPU <= 60 us/message, plain HTTP API, 32 senders", F($"{cpu:F0} us/msg at {apiThroughput.RatePerSecond:F0}/s{(apiThroughput.Verified == true ? ", all pushed and verified" : ", NOT verified")}"), cpu <= 60 && apiThroughput.Verified == true)
            : new TargetCheck("server CPU <= 60 us/message, plain HTTP API, 32 senders", "not measured", null));

        BenchResult? throughput = Find(results, "throughput", "meshfleet-http", "32 senders");
        targets.Add(throughput?.RatePerSecond is double rate
            ? new TargetCheck(">= 10,000 durable sends/s, HTTP MCP, 32 clients", F($"{rate:F0}/s{(throughput.Verified == true ? ", all pushed and verified" : ", NOT verified")}"), rate >= 10_000 && throughput.Verified == true)
            : new TargetCheck(">= 10,000 durable sends/s, HTTP MCP, 32 clients", "not measured", null));

        double? store = results.Where(r => r.Scenario == "store" && r.System == "sqlite-store").Max(r => r.RatePerSecond);
        targets.Add(store is double storeRate
            ? new TargetCheck(">= 50,000 messages/s into the store alone", F($"{storeRate:F0}/s (best of 1/8/32 callers)"), storeRate >= 50_000)
            : new TargetCheck(">= 50,000 messages/s into the store alone", "not measured", null));

        BenchResult? fanOut = Find(results, "fan-out", "meshfleet-http", "10000 subscribers");
        targets.Add(fanOut?.RssMiB is double rss
            ? new TargetCheck("10,000 subscribers in <= 300 MB", F($"{rss * 1.048576:F0} MB ({rss:F0} MiB) server RSS{(fanOut.Verified == true ? string.Empty : ", deliveries NOT verified")}"), rss * 1.048576 <= 300 && fanOut.Verified == true)
            : new TargetCheck("10,000 subscribers in <= 300 MB", "not measured (full run only)", null));

        double? coldStart = Find(results, "cold-start", "meshfleet-stdio", "spawn -> tools/list answered")?.Latency?.P50;
        targets.Add(coldStart is double start
            ? new TargetCheck("cold start <= 150 ms (spawn -> tools/list)", F($"p50 {start:F0} ms"), start <= 150)
            : new TargetCheck("cold start <= 150 ms (spawn -> tools/list)", "not measured", null));

        double? crossProcess = Find(results, "push", "meshfleet-stdio-xproc")?.Latency?.P50;
        targets.Add(crossProcess is double cross
            ? new TargetCheck("cross-process push p50 <= 5 ms", F($"p50 {cross:F3} ms"), cross <= 5)
            : new TargetCheck("cross-process push p50 <= 5 ms", "not measured", null));
        return targets;
    }

    private static BenchResult? Find(IReadOnlyList<BenchResult> results, string scenario, string system, string? variant = null) =>
        results.FirstOrDefault(r => r.Scenario == scenario && r.System == system && (variant is null || r.Variant == variant));

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
