using System.Globalization;

namespace Meshfleet.Bench.Measurement;

/// <summary>CPU time a process has used (user + system), read from /proc/{pid}/stat (Linux).</summary>
internal static class ProcessCpu
{
    // USER_HZ: the unit of utime and stime in /proc/{pid}/stat; 100 on every Linux this runs on.
    private const double TicksPerSecond = 100;

    /// <summary>CPU seconds used so far, or null when the process is gone.</summary>
    public static double? ReadSeconds(int processId)
    {
        try
        {
            string stat = File.ReadAllText($"/proc/{processId}/stat");
            // The command name (field 2) may contain spaces; the fields after its closing parenthesis are fixed.
            string[] fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
            long user = long.Parse(fields[11], CultureInfo.InvariantCulture);
            long system = long.Parse(fields[12], CultureInfo.InvariantCulture);
            return (user + system) / TicksPerSecond;
        }
        catch (IOException)
        {
            return null;
        }
    }
}
