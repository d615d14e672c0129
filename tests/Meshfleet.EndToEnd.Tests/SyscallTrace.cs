using System.Diagnostics;
using System.Text.RegularExpressions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// strace attached to a running process (every thread, and threads it starts later), recording its network and
/// file-creating system calls, so a test can assert what a process never did: connect off the machine, or write a file.
/// </summary>
internal sealed partial class SyscallTrace : IAsyncDisposable
{
    private readonly Process _strace;
    private readonly string _output;

    private SyscallTrace(Process strace, string output)
    {
        _strace = strace;
        _output = output;
    }

    /// <summary>Attaches and returns once every thread that exists now is traced.</summary>
    public static async Task<SyscallTrace> AttachAsync(int pid, string output, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo("strace") { RedirectStandardError = true, UseShellExecute = false };
        foreach (string argument in (string[])["-f", "-s", "4096", "-p", pid.ToString(System.Globalization.CultureInfo.InvariantCulture), "-e", "trace=connect,sendto,sendmsg,openat,mkdir,mkdirat,rename,renameat,renameat2", "-o", output])
        {
            info.ArgumentList.Add(argument);
        }

        Process strace = Process.Start(info) ?? throw new InvalidOperationException("strace did not start");
        // strace reports "Process N attached with T threads" once it holds every thread.
        string? line;
        do
        {
            line = await strace.StandardError.ReadLineAsync(cancellationToken)
                ?? throw new InvalidOperationException("strace exited before attaching (is ptrace allowed here?)");
        }
        while (!line.Contains(" attached", StringComparison.Ordinal));

        _ = strace.StandardError.ReadToEndAsync(CancellationToken.None);
        return new SyscallTrace(strace, output);
    }

    /// <summary>Detaches (strace flushes its log on SIGINT) and returns the recorded lines.</summary>
    public async Task<string[]> StopAsync(CancellationToken cancellationToken)
    {
        if (!_strace.HasExited)
        {
            _ = Kill(_strace.Id, 2);
            await _strace.WaitForExitAsync(cancellationToken);
        }

        return await File.ReadAllLinesAsync(_output, cancellationToken);
    }

    /// <summary>Addresses of connect/sendto/sendmsg calls that are not loopback.</summary>
    public static IEnumerable<string> OffMachine(IEnumerable<string> lines) =>
        lines.Where(l => l.Contains("connect(", StringComparison.Ordinal) || l.Contains("sendto(", StringComparison.Ordinal) || l.Contains("sendmsg(", StringComparison.Ordinal))
            .Where(l => Address().Match(l) is { Success: true } m && !IsLoopback(m.Groups[1].Value));

    /// <summary>Paths a process opened for writing or created.</summary>
    public static IEnumerable<string> Written(IEnumerable<string> lines) =>
        lines.Where(l => (l.Contains("openat(", StringComparison.Ordinal) && (l.Contains("O_WRONLY", StringComparison.Ordinal) || l.Contains("O_RDWR", StringComparison.Ordinal) || l.Contains("O_CREAT", StringComparison.Ordinal)))
                || l.Contains("mkdir", StringComparison.Ordinal) || l.Contains("rename", StringComparison.Ordinal))
            .Select(l => Path().Match(l))
            .Where(m => m.Success)
            .Select(m => m.Groups[1].Value);

    public async ValueTask DisposeAsync()
    {
        if (!_strace.HasExited)
        {
            _strace.Kill();
            await _strace.WaitForExitAsync(CancellationToken.None);
        }

        _strace.Dispose();
    }

    private static bool IsLoopback(string address) =>
        address.StartsWith("127.", StringComparison.Ordinal) || address is "::1" || address.StartsWith("::ffff:127.", StringComparison.Ordinal);

    [GeneratedRegex("""(?:inet_addr\("|inet_pton\(AF_INET6?, "|sin6?_addr=")([0-9a-fA-F.:]+)""")]
    private static partial Regex Address();

    [GeneratedRegex("\"([^\"]+)\"")]
    private static partial Regex Path();

    [System.Runtime.InteropServices.DllImport("libc", EntryPoint = "kill")]
    private static extern int Kill(int pid, int signal);
}
