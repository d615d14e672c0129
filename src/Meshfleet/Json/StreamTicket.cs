namespace Meshfleet.Json;

/// <summary>What <c>subscribe_inbox</c> returns: where to open the SSE stream and how to resume it.</summary>
public sealed record StreamTicket(string StreamUrl, string AgentId, string Event, string ResumeWith, int HeartbeatSeconds);
