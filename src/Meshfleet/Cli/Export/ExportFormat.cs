namespace Meshfleet.Cli.Export;

/// <summary>The name and version of the <c>meshfleet export</c> file format (docs/export-format.md).</summary>
internal static class ExportFormat
{
    /// <summary>The <c>format</c> of the header line.</summary>
    public const string Name = "meshfleet-export";

    /// <summary>The version this build writes and the highest it reads. Bump it when a reader of the old version would lose or misread something.</summary>
    public const int Version = 1;

    public const string Header = "header";
    public const string Fleet = "fleet";
    public const string Agent = "agent";
    public const string Message = "message";
    public const string Delivery = "delivery";
}
