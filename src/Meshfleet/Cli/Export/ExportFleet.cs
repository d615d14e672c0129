namespace Meshfleet.Cli.Export;

/// <summary>A fleet line of an export.</summary>
internal sealed record ExportFleet(string Type, string FleetId, string? Description, int RequestTimeoutSeconds, int HeartbeatTimeoutSeconds);
