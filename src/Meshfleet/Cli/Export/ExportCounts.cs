namespace Meshfleet.Cli.Export;

/// <summary>How many records of each kind an export wrote or an import added.</summary>
internal sealed record ExportCounts(long Fleets, long Agents, long Messages, long Deliveries);
