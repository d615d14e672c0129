namespace Meshfleet.Cli.Setup;

/// <summary>One MCP client <c>meshfleet setup</c> knows: where its user-level config lives and how to tell it is installed.</summary>
/// <param name="Id">The name on the command line: claude, opencode, codex or gemini.</param>
/// <param name="DisplayName">The client's product name.</param>
/// <param name="Executable">The client's command on PATH.</param>
/// <param name="NpmPackage">The npm package that installs it.</param>
internal sealed record ClientProfile(string Id, string DisplayName, string Executable, string NpmPackage)
{
    public static ClientProfile Claude { get; } = new("claude", "Claude Code", "claude", "@anthropic-ai/claude-code");

    public static ClientProfile OpenCode { get; } = new("opencode", "OpenCode", "opencode", "opencode-ai");

    public static ClientProfile Codex { get; } = new("codex", "Codex", "codex", "@openai/codex");

    public static ClientProfile Gemini { get; } = new("gemini", "Gemini CLI", "gemini", "@google/gemini-cli");

    public static IReadOnlyList<ClientProfile> All { get; } = [Claude, OpenCode, Codex, Gemini];

    /// <summary>True for Codex, whose config is TOML; the others use JSON.</summary>
    public bool UsesToml => Id == "codex";

    /// <summary>The user-level (not per-folder) config file the client reads its MCP servers from.</summary>
    public string ConfigPath(ClientHome home) => Id switch
    {
        // User scope: the top-level mcpServers of ~/.claude.json (what `claude mcp add --scope user` writes).
        "claude" => Path.Combine(home.Variable("CLAUDE_CONFIG_DIR", home.Home), ".claude.json"),
        "opencode" => Path.Combine(home.Variable("XDG_CONFIG_HOME", Path.Combine(home.Home, ".config")), "opencode", "opencode.json"),
        "codex" => Path.Combine(home.Variable("CODEX_HOME", Path.Combine(home.Home, ".codex")), "config.toml"),
        _ => Path.Combine(home.Home, ".gemini", "settings.json"),
    };

    /// <summary>Where the client is installed (its command on PATH, else its config folder), or null when it is not.</summary>
    public string? FindInstallation(ClientHome home)
    {
        if (home.FindOnPath(Executable) is { } onPath)
        {
            return onPath;
        }

        string[] markers = Id switch
        {
            "claude" => [Path.Combine(home.Home, ".claude"), ConfigPath(home)],
            "opencode" => [Path.GetDirectoryName(ConfigPath(home))!, Path.Combine(home.Variable("XDG_DATA_HOME", Path.Combine(home.Home, ".local", "share")), "opencode")],
            _ => [Path.GetDirectoryName(ConfigPath(home))!],
        };
        return markers.FirstOrDefault(m => Directory.Exists(m) || File.Exists(m));
    }

    /// <summary>How to install the client, for the refusal when it is missing.</summary>
    public string InstallHint => $"install it with `npm install -g {NpmPackage}` (or see its documentation), start it once, then run meshfleet setup {Id} again";
}
