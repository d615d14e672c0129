using System.Globalization;
using Meshfleet.Bench.Measurement;

namespace Meshfleet.Bench.Reporting;

/// <summary>Prints a report as plain-text tables: the figures, the ratios, the targets.</summary>
internal static class ReportTable
{
    public static void Write(BenchReport report, TextWriter output)
    {
        output.WriteLine(F($"Meshfleet bench ({report.Mode}), {report.Date:yyyy-MM-dd HH:mm} UTC, {report.Machine.Cores} cores, {report.Machine.MemoryGiB} GiB, {report.Machine.Cpu}"));
        output.WriteLine(F($"{report.Machine.Os}, {report.Machine.Runtime}, binary {report.Binary}, run took {report.DurationSeconds:F0} s"));
        output.WriteLine();
        output.WriteLine(F($"{"scenario",-11} {"system",-21} {"variant",-33} {"p50 ms",9} {"p99 ms",9} {"p99.9 ms",9} {"ack p50",9} {"ack p99",9} {"msg/s",9} {"RSS MiB",8} {"ok",3}  note"));
        output.WriteLine(new string('-', 150));
        foreach (BenchResult r in report.Results)
        {
            output.WriteLine(F($"{r.Scenario,-11} {r.System,-21} {r.Variant,-33} {Ms(r.Latency?.P50),9} {Ms(r.Latency?.P99),9} {Ms(r.Latency?.P999),9} {Ms(r.AckLatency?.P50),9} {Ms(r.AckLatency?.P99),9} {Rate(r.RatePerSecond),9} {Mib(r.RssMiB),8} {Ok(r.Verified),3}  {r.Note}"));
        }

        if (report.Ratios.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Ratios (Meshfleet / reference)");
            foreach (RatioLine ratio in report.Ratios)
            {
                output.WriteLine(F($"  {ratio.Figure,-34} vs {ratio.Against,-20} {ratio.Value,7:F2}x  {ratio.Meaning}"));
            }
        }

        output.WriteLine();
        output.WriteLine("Targets");
        foreach (TargetCheck target in report.Targets)
        {
            string verdict = target.Met switch { true => "met", false => "MISSED", null => "n/a" };
            output.WriteLine(F($"  {verdict,-7} {target.Target,-50} {target.Measured}"));
        }

        if (report.Unavailable.Count > 0)
        {
            output.WriteLine();
            output.WriteLine("Not measured");
            foreach (string line in report.Unavailable)
            {
                output.WriteLine("  " + line);
            }
        }
    }

    private static string Ms(double? value) => value is double v ? v.ToString(v < 10 ? "F3" : "F1", CultureInfo.InvariantCulture) : "-";

    private static string Rate(double? value) => value is double v ? v.ToString("F0", CultureInfo.InvariantCulture) : "-";

    private static string Mib(double? value) => value is double v ? v.ToString("F1", CultureInfo.InvariantCulture) : "-";

    private static string Ok(bool? value) => value switch { true => "yes", false => "NO", null => "-" };

    private static string F(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
