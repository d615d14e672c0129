using System.Globalization;

namespace Meshfleet.Bench.Measurement;

/// <summary>Resident memory of a process, read from /proc (Linux).</summary>
internal static class ProcessMemory
{
    /// <summary>Current resident set in MiB, or null when the process is gone or /proc is not there.</summary>
    public static double? ReadRssMiB(int processId) => ReadKb(processId, "VmRSS:") / 1024.0;

    /// <summary>Peak resident set (high-water mark) in MiB.</summary>
    public static double? ReadPeakRssMiB(int processId) => ReadKb(processId, "VmHWM:") / 1024.0;

    private static long? ReadKb(int processId, string field)
    {
        try
        {
            foreach (string line in File.ReadLines($"/proc/{processId}/status"))
            {
                if (line.StartsWith(field, StringComparison.Ordinal))
                {
                    return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
                }
            }
        }
        catch (IOException)
        {
        }

        return null;
    }
}
