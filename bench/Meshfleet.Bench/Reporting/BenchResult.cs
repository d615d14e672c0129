using System.Text.Json.Serialization;
using Meshfleet.Bench.Measurement;

namespace Meshfleet.Bench.Reporting;

/// <summary>One measured figure set: a scenario run against one system in one variant (senders, subscribers, ...).</summary>
internal sealed record BenchResult(string Scenario, string System, string Variant)
{
    /// <summary>The headline latency: send to push for push scenarios, spawn to tools/list for cold start.</summary>
    public LatencySummary? Latency { get; init; }

    /// <summary>Send call to acknowledgement (the durable-write part of a push).</summary>
    public LatencySummary? AckLatency { get; init; }

    /// <summary>Messages per second (acknowledged and, where the scenario says so, delivered).</summary>
    public double? RatePerSecond { get; init; }

    /// <summary>Resident memory of the server process, MiB.</summary>
    [JsonPropertyName("rss_mib")]
    public double? RssMiB { get; init; }

    /// <summary>How many messages or deliveries the figures cover.</summary>
    public long? Count { get; init; }

    /// <summary>True when every message was delivered exactly once and in order.</summary>
    public bool? Verified { get; init; }

    /// <summary>CPU time of the server process per message (throughput), microseconds.</summary>
    public double? ServerCpuUsPerMessage { get; init; }

    public string? Note { get; init; }
}
