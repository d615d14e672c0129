namespace Meshfleet.Bench.Reporting;

/// <summary>Meshfleet against a reference system on one figure: <c>Value</c> = Meshfleet's figure / the reference's.</summary>
internal sealed record RatioLine(string Figure, string Against, double Value, string Meaning);
