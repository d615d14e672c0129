namespace Meshfleet.Core.Streaming;

/// <summary>Limits of the live push fan-out.</summary>
public sealed record StreamHubOptions
{
    /// <summary>Concurrent streams one agent may hold; the next is refused.</summary>
    public int MaxStreamsPerAgent { get; init; } = 5;

    /// <summary>Messages buffered per subscriber before it counts as too slow and is dropped.</summary>
    public int SubscriberBuffer { get; init; } = 1024;
}
