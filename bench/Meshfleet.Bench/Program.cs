using System.Globalization;
using System.Text.Json;
using Meshfleet.Bench;
using Meshfleet.Bench.Floor;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;

// Figures, not pass/fail: run on demand against a published build.
//   dotnet publish src/Meshfleet -c Release -o out
//   dotnet run --project bench/Meshfleet.Bench -c Release -- out/meshfleet [--quick] [--out FILE]
// Routing quality and cost, in process (no executable needed):
//   dotnet run --project bench/Meshfleet.Bench -c Release -- --routing [ONNX model path]
if (args.Length >= 1 && args[0] == "--routing")
{
    return await Meshfleet.Bench.Routing.RoutingBench.RunAsync(args.Length > 1 ? args[1] : null, Console.Out);
}

if (args.Length == 2 && args[0] == "--floor-relay")
{
    return await FloorRelay.RunAsync(int.Parse(args[1], CultureInfo.InvariantCulture));
}

BenchOptions options;
try
{
    options = BenchOptions.Parse(args);
}
catch (Exception ex) when (ex is ArgumentException or FormatException)
{
    Console.Error.WriteLine($"bench: {ex.Message}{Environment.NewLine}{BenchOptions.Usage}");
    return 2;
}

if (!File.Exists(options.Binary))
{
    Console.Error.WriteLine($"bench: no meshfleet executable at '{options.Binary}'. Build one with: dotnet publish src/Meshfleet -c Release -o out");
    return 2;
}

var progress = new BenchProgress();
long openFiles = FileDescriptorLimit.Raise(65_536);
int largestFanOut = options.FanOutSizes.Max();
if (options.Runs("fan-out") && openFiles < largestFanOut + 1_000)
{
    progress.Warn($"open-file limit is {openFiles}; fan-out to {largestFanOut} subscribers needs about {largestFanOut + 1_000}. Raise it first: ulimit -n 65536");
}

BenchReport report = await BenchSuite.RunAsync(options, progress);
ReportTable.Write(report, Console.Out);
if (options.OutPath is not null)
{
    await File.WriteAllTextAsync(options.OutPath, JsonSerializer.Serialize(report, ReportJsonContext.Default.BenchReport));
    progress.Step($"figures written to {Path.GetFullPath(options.OutPath)}");
}

return 0;
