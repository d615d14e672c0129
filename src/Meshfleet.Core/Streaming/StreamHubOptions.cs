namespace Meshfleet.Core.Streaming;

/// <summary>Limits of the live push fan-out.</summary>
public sealed record StreamHubOptions
{
    /// <summary>Concurrent streams one agent may hold; the next is refused.</summary>
    public int MaxStreamsPerAgent { get; init; } = 5;

    /// <summary>Concurrent streams over all agents; the next is refused, so stuck readers cannot pile up without end.</summary>
    public int MaxStreams { get; init; } = 20_000;

    /// <summary>Messages buffered per subscriber before it counts as too slow and is dropped.</summary>
    public int SubscriberBuffer { get; init; } = 1024;

    /// <summary>
    /// Bytes buffered per subscriber (payloads plus a small overhead per message) before it counts as too slow and is
    /// dropped. One message is always accepted into an empty buffer, whatever its size.
    /// </summary>
    public long SubscriberBufferBytes { get; init; } = 1024 * 1024;
}
