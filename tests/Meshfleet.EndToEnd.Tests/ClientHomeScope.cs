namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// A throwaway HOME for <c>meshfleet setup</c> / <c>doctor</c>: every variable that moves a client's config points into it,
/// and PATH holds no client, so only the config folders a test creates make a client count as installed.
/// </summary>
internal sealed class ClientHomeScope
{
    public ClientHomeScope(MeshScope mesh)
    {
        Home = Path.Combine(mesh.Directory, "home");
        string emptyBin = Path.Combine(mesh.Directory, "bin");
        Directory.CreateDirectory(Home);
        Directory.CreateDirectory(emptyBin);
        Environment = new Dictionary<string, string>(mesh.Environment)
        {
            ["HOME"] = Home,
            ["PATH"] = emptyBin,
            ["XDG_CONFIG_HOME"] = Path.Combine(Home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(Home, ".local", "share"),
            ["CODEX_HOME"] = Path.Combine(Home, ".codex"),
            ["CLAUDE_CONFIG_DIR"] = Home,
        };
    }

    public string Home { get; }

    public Dictionary<string, string> Environment { get; }

    /// <summary>The user-level config file of <paramref name="client"/>.</summary>
    public string ConfigPath(string client) => client switch
    {
        "claude" => Path.Combine(Home, ".claude.json"),
        "opencode" => Path.Combine(Home, ".config", "opencode", "opencode.json"),
        "codex" => Path.Combine(Home, ".codex", "config.toml"),
        _ => Path.Combine(Home, ".gemini", "settings.json"),
    };

    /// <summary>Makes <paramref name="client"/> count as installed (its config folder exists), as after its first start.</summary>
    public void Install(string client) =>
        Directory.CreateDirectory(client == "claude" ? Path.Combine(Home, ".claude") : Path.GetDirectoryName(ConfigPath(client))!);
}
