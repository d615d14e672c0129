namespace Meshfleet.Cli.Export;

/// <summary>The first line of an export: what the file is, which version of the format, and where it came from.</summary>
internal sealed record ExportHeader(string Type, string Format, int Version, long ExportedAt, string? StoreId, string? Backend);
