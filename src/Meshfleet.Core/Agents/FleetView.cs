namespace Meshfleet.Core.Agents;

/// <summary>A fleet as <c>list_fleets</c> shows it, with its member ids.</summary>
public sealed record FleetView(string FleetId, string? Description, int RequestTimeoutSeconds, int HeartbeatTimeoutSeconds, IReadOnlyList<string> Members);
