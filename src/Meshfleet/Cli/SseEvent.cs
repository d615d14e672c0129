namespace Meshfleet.Cli;

/// <summary>One Server-Sent Event as a client sees it.</summary>
internal sealed record SseEvent(string? Id, string Event, string Data);
