using System.Runtime.InteropServices;
using System.Text.Json.Serialization;

namespace Meshfleet.Bench.Reporting;

/// <summary>Where the figures were taken.</summary>
internal sealed record MachineInfo(int Cores, [property: JsonPropertyName("memory_gib")] double MemoryGiB, string Cpu, string Os, string Runtime)
{
    public static MachineInfo Read()
    {
        string cpu = "unknown";
        double memory = 0;
        if (File.Exists("/proc/cpuinfo"))
        {
            cpu = File.ReadLines("/proc/cpuinfo").FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))?.Split(':', 2)[1].Trim() ?? cpu;
        }

        if (File.Exists("/proc/meminfo"))
        {
            string? total = File.ReadLines("/proc/meminfo").FirstOrDefault(l => l.StartsWith("MemTotal:", StringComparison.Ordinal));
            if (total is not null)
            {
                memory = Math.Round(long.Parse(total.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) / 1024.0 / 1024.0, 1);
            }
        }

        return new MachineInfo(Environment.ProcessorCount, memory, cpu, RuntimeInformation.OSDescription, RuntimeInformation.FrameworkDescription);
    }
}
