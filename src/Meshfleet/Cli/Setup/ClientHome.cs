namespace Meshfleet.Cli.Setup;

/// <summary>Where a user's client configs live, from the environment (HOME, XDG_CONFIG_HOME, CODEX_HOME, ...), so tests can use a temp HOME.</summary>
internal sealed class ClientHome
{
    private readonly Func<string, string?> _environment;

    public ClientHome(Func<string, string?> environment)
    {
        _environment = environment;
        string? home = environment("HOME");
        Home = string.IsNullOrEmpty(home) ? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile) : home;
    }

    public string Home { get; }

    /// <summary>A variable's value, or <paramref name="fallback"/> when it is unset or empty.</summary>
    public string Variable(string name, string fallback) => _environment(name) is { Length: > 0 } value ? value : fallback;

    /// <summary>The full path of <paramref name="executable"/> on PATH, or null.</summary>
    public string? FindOnPath(string executable)
    {
        foreach (string folder in (_environment("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            string candidate = Path.Combine(folder, executable);
            if (File.Exists(candidate))
            {
                return candidate;
            }
        }

        return null;
    }
}
