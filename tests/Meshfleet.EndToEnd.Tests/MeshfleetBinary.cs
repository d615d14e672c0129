using System.Diagnostics;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>Finds the meshfleet executable under test: $MESHFLEET_BIN (a published build), else the one built beside the tests.</summary>
internal static class MeshfleetBinary
{
    public static string Path { get; } = Locate();

    public static ProcessStartInfo StartInfo(IReadOnlyDictionary<string, string> environment, params string[] arguments)
    {
        var info = new ProcessStartInfo(Path)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }

    /// <summary>Runs a command (export, import, ...) to completion with stdin closed, capturing both output streams.</summary>
    public static async Task<CliRun> RunAsync(IReadOnlyDictionary<string, string> environment, CancellationToken cancellationToken, params string[] arguments)
    {
        using Process process = Process.Start(StartInfo(environment, arguments))!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill();
            throw;
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static string Locate()
    {
        string? configured = Environment.GetEnvironmentVariable("MESHFLEET_BIN");
        if (!string.IsNullOrEmpty(configured))
        {
            return System.IO.Path.GetFullPath(configured);
        }

        string beside = System.IO.Path.Combine(AppContext.BaseDirectory, "meshfleet");
        return File.Exists(beside) ? beside : throw new FileNotFoundException("meshfleet executable not found; build the solution or set MESHFLEET_BIN", beside);
    }
}
