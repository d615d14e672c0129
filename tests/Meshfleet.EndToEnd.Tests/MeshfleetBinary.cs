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
