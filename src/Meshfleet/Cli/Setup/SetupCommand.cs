using Meshfleet.Configuration;

namespace Meshfleet.Cli.Setup;

/// <summary>
/// <c>meshfleet setup &lt;client&gt; [--agent ID] [--dry-run]</c>: writes the client's user-level MCP config for this
/// binary, with the client's time limits and the agent binding, and says how that client is woken.
/// </summary>
internal static class SetupCommand
{
    public const string Usage = "meshfleet setup <claude|opencode|codex|gemini> [--agent ID] [--dry-run]";

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> args, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        bool dryRun = args.Contains("--dry-run");
        List<string> names = args.Where(a => a != "--dry-run").ToList();
        ClientProfile? client = names.Count == 1 ? ClientProfile.All.FirstOrDefault(c => c.Id == names[0]) : null;
        if (client is null)
        {
            await Console.Error.WriteLineAsync($"meshfleet: setup needs one client: {Usage} (got '{string.Join(' ', names)}').").ConfigureAwait(false);
            return 2;
        }

        var home = new ClientHome(environment);
        if (client.FindInstallation(home) is null)
        {
            await Console.Error.WriteLineAsync(
                $"meshfleet: {client.DisplayName} is not installed here ('{client.Executable}' is not on PATH and {client.ConfigPath(home)} does not exist): {client.InstallHint}.").ConfigureAwait(false);
            return 1;
        }

        string binary = Environment.ProcessPath ?? throw new SetupException("cannot tell where this meshfleet executable is; run it by its path");
        ServerEntry entry = Entry(settings, binary, environment);
        string path = client.ConfigPath(home);
        string? existing = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        (string text, string changed) = client.UsesToml ? CodexConfigToml.Apply(existing, entry) : JsonClientConfig.Apply(client, existing, entry);

        string verb = text == existing ? "unchanged" : dryRun ? "would write" : "wrote";
        await output.WriteLineAsync($"{client.DisplayName}: {verb} {path} (user scope), server 'meshfleet':").ConfigureAwait(false);
        await output.WriteLineAsync(changed.TrimEnd('\n')).ConfigureAwait(false);
        if (!dryRun && text != existing)
        {
            await WriteAtomicallyAsync(path, text, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync(string.Empty).ConfigureAwait(false);
        foreach (string note in WakeNotes(client, entry, settings))
        {
            await output.WriteLineAsync(note).ConfigureAwait(false);
        }

        if (dryRun)
        {
            await output.WriteLineAsync("(dry run: nothing was written)").ConfigureAwait(false);
        }

        return 0;
    }

    /// <summary>The server entry: this binary, the agent, and any store, port or wait that differs from the defaults.</summary>
    internal static ServerEntry Entry(MeshfleetSettings settings, string binary, Func<string, string?> environment)
    {
        MeshfleetSettings defaults = SettingsCatalog.Resolve([], name => name is "HOME" or "XDG_DATA_HOME" ? environment(name) : null, out _);
        var env = new List<KeyValuePair<string, string>>();
        if (settings.AgentId is { } agent)
        {
            env.Add(KeyValuePair.Create("MESHFLEET_AGENT_ID", agent));
        }

        // Codex passes a server only the variables in its config, so a non-default store or port must be written down.
        if (settings.DatabasePath != defaults.DatabasePath)
        {
            env.Add(KeyValuePair.Create("MESHFLEET_DB", Path.GetFullPath(settings.DatabasePath)));
        }

        if (settings.SsePort != defaults.SsePort)
        {
            env.Add(KeyValuePair.Create("MESHFLEET_SSE_PORT", settings.SsePort.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        int maxWait = (int)settings.MaxWait.TotalSeconds;
        if (maxWait != (int)defaults.MaxWait.TotalSeconds)
        {
            env.Add(KeyValuePair.Create("MESHFLEET_MAX_WAIT_SECONDS", maxWait.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        // Room above the longest wait slice for the store work and the round trip, so the wait returns before the client gives up.
        return new ServerEntry(binary, env, settings.AgentId, Math.Max(90, maxWait + 40));
    }

    private static IEnumerable<string> WakeNotes(ClientProfile client, ServerEntry entry, MeshfleetSettings settings)
    {
        if (entry.AgentId is not { } agent)
        {
            yield return "No agent bound: add --agent ID so this client acts as one agent and is woken with its messages.";
        }
        else
        {
            yield return $"Bound to agent '{agent}'. To wake an idle session with its messages:";
            yield return client.Id switch
            {
                "claude" => "  claude --dangerously-load-development-channels server:meshfleet   (channels; confirm the start-up warning)\n" +
                    $"  or, where channels are off: MESHFLEET_AGENT_ID={agent} claude --plugin-dir <meshfleet>/clients/claude-code/meshfleet-plugin",
                "opencode" => $"  opencode --port 4096   and beside it:   {entry.Command} bridge opencode --agent {agent} --url http://127.0.0.1:4096",
                "codex" => $"  codex   and beside it:   {entry.Command} bridge codex --agent {agent}",
                _ => "  the hooks written above deliver new messages at turn boundaries (Gemini CLI cannot be woken from outside while idle);\n" +
                    "  between turns the agent waits with get_inbox {\"wait_seconds\":50}.",
            };
        }

        yield return $"Tool calls may take {entry.ToolTimeoutSeconds} s (Meshfleet's waits return within MESHFLEET_MAX_WAIT_SECONDS = {(int)settings.MaxWait.TotalSeconds} s).";
        if (settings.Token is not null)
        {
            yield return "MESHFLEET_TOKEN is not written into the config (it is a secret): give it to the client's environment yourself.";
        }

        yield return "Check everything with: meshfleet doctor";
    }

    /// <summary>Writes beside the file and renames over it, keeping its permissions: a crash leaves the old or the new config, never half of one.</summary>
    private static async Task WriteAtomicallyAsync(string path, string text, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".meshfleet-tmp";
        await File.WriteAllTextAsync(temp, text, cancellationToken).ConfigureAwait(false);
        if (!OperatingSystem.IsWindows())
        {
            File.SetUnixFileMode(temp, File.Exists(path) ? File.GetUnixFileMode(path) : UnixFileMode.UserRead | UnixFileMode.UserWrite);
        }

        File.Move(temp, path, overwrite: true);
    }
}
