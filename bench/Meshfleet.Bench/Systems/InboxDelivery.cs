namespace Meshfleet.Bench.Systems;

/// <summary>A pushed message as a subscriber saw it: its payload and when it arrived (<see cref="System.Diagnostics.Stopwatch"/> timestamp).</summary>
internal readonly record struct InboxDelivery(string Payload, long ArrivedAt);
