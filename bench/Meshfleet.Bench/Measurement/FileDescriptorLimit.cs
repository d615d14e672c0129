using System.Globalization;
using System.Runtime.InteropServices;

namespace Meshfleet.Bench.Measurement;

/// <summary>
/// The open-file limit (RLIMIT_NOFILE). Thousands of subscribers need thousands of sockets, on both ends; child processes
/// inherit the limit, so raising the soft limit to the hard one here covers the servers the bench starts too.
/// </summary>
internal static partial class FileDescriptorLimit
{
    private const int ResourceOpenFiles = 7;

    /// <summary>Raises the soft limit toward <paramref name="wanted"/> (capped by the hard limit) and returns the soft limit in force.</summary>
    public static long Raise(long wanted)
    {
        if (!OperatingSystem.IsLinux() || Get(out ResourceLimit limit) != 0)
        {
            return ReadSoftLimit() ?? wanted;
        }

        if (limit.Current >= (ulong)wanted)
        {
            return (long)limit.Current;
        }

        var raised = new ResourceLimit { Current = Math.Min((ulong)wanted, limit.Maximum), Maximum = limit.Maximum };
        return Set(ref raised) == 0 ? (long)raised.Current : (long)limit.Current;
    }

    private static long? ReadSoftLimit()
    {
        foreach (string line in File.ReadLines("/proc/self/limits"))
        {
            if (line.StartsWith("Max open files", StringComparison.Ordinal))
            {
                string soft = line["Max open files".Length..].Trim().Split(' ', StringSplitOptions.RemoveEmptyEntries)[0];
                return long.TryParse(soft, NumberStyles.None, CultureInfo.InvariantCulture, out long value) ? value : null;
            }
        }

        return null;
    }

    private static int Get(out ResourceLimit limit) => GetResourceLimit(ResourceOpenFiles, out limit);

    private static int Set(ref ResourceLimit limit) => SetResourceLimit(ResourceOpenFiles, ref limit);

    [LibraryImport("libc", EntryPoint = "getrlimit", SetLastError = true)]
    private static partial int GetResourceLimit(int resource, out ResourceLimit limit);

    [LibraryImport("libc", EntryPoint = "setrlimit", SetLastError = true)]
    private static partial int SetResourceLimit(int resource, ref ResourceLimit limit);

    [StructLayout(LayoutKind.Sequential)]
    private struct ResourceLimit
    {
        public ulong Current;
        public ulong Maximum;
    }
}
