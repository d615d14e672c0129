using Meshfleet.Configuration;

namespace Meshfleet.Cli.Setup;

/// <summary>
/// <c>meshfleet setup &lt;client&gt; [--agent ID] [--dry-run]</c>: writes the client's user-level MCP config for this
/// binary, with the client's time limits and the agent binding, and says how that client is woken. With agent identity on,
/// the binding includes the agent's key (<see cref="ClientAgentKey"/>), and the config is made private to its owner.
/// </summary>
internal static class SetupCommand
{
    public const string Usage = "meshfleet setup <claude|opencode|codex|gemini> [--agent ID [--agent-key KEY | --rotate-key]] [--dry-run]";

    private const UnixFileMode OthersAndGroup = UnixFileMode.GroupRead | UnixFileMode.GroupWrite | UnixFileMode.GroupExecute | UnixFileMode.OtherRead | UnixFileMode.OtherWrite | UnixFileMode.OtherExecute;

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> args, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        bool dryRun = args.Contains("--dry-run");
        bool rotateKey = args.Contains("--rotate-key");
        List<string> names = args.Where(a => a is not ("--dry-run" or "--rotate-key")).ToList();
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

        if (rotateKey && (settings.AgentId is null || !settings.IdentityOn))
        {
            await Console.Error.WriteLineAsync("meshfleet: --rotate-key needs --agent ID and agent identity on (MESHFLEET_TOKEN set, MESHFLEET_AGENT_IDENTITY not off).").ConfigureAwait(false);
            return 2;
        }

        string binary = Environment.ProcessPath ?? throw new SetupException("cannot tell where this meshfleet executable is; run it by its path");
        string path = client.ConfigPath(home);
        string? existing = File.Exists(path) ? await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false) : null;
        (string? key, string? keyNote) = (null, null);
        if (settings.IdentityOn && settings.AgentId is { } agentId)
        {
            // A config setup cannot parse is refused before a key is claimed, so no key is claimed that nothing holds.
            _ = Apply(client, existing, Entry(settings, binary, environment));

            IEnumerable<string> held = ConfiguredServers(home).Where(s => s.AgentId == agentId && s.AgentKey is not null).Select(s => s.AgentKey!);
            (key, keyNote) = await ClientAgentKey.ObtainAsync(settings, agentId, held, rotateKey, dryRun, cancellationToken).ConfigureAwait(false);
        }

        ServerEntry entry = Entry(settings, binary, environment, key);
        (string text, string changed) = Apply(client, existing, entry);
        bool tighten = entry.HoldsSecret && !OperatingSystem.IsWindows() && existing is not null && (File.GetUnixFileMode(path) & OthersAndGroup) != 0;

        string verb = text == existing && !tighten ? "unchanged" : dryRun ? "would write" : "wrote";
        await output.WriteLineAsync($"{client.DisplayName}: {verb} {path} (user scope{(entry.HoldsSecret ? ", readable by you only: it holds the agent key" : string.Empty)}), server 'meshfleet':").ConfigureAwait(false);
        await output.WriteLineAsync((key is null ? changed : changed.Replace(key, ClientAgentKey.Redacted, StringComparison.Ordinal)).TrimEnd('\n')).ConfigureAwait(false);
        if (!dryRun && (text != existing || tighten))
        {
            await WriteAtomicallyAsync(path, text, entry.HoldsSecret, cancellationToken).ConfigureAwait(false);
        }

        await output.WriteLineAsync(string.Empty).ConfigureAwait(false);
        if (keyNote is not null)
        {
            await output.WriteLineAsync(keyNote).ConfigureAwait(false);
        }

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

    private static (string Text, string Changed) Apply(ClientProfile client, string? existing, ServerEntry entry) =>
        client.UsesToml ? CodexConfigToml.Apply(existing, entry) : JsonClientConfig.Apply(client, existing, entry);

    /// <summary>The server entry: this binary, the agent, and any store, port or wait that differs from the defaults.</summary>
    internal static ServerEntry Entry(MeshfleetSettings settings, string binary, Func<string, string?> environment, string? agentKey = null)
    {
        MeshfleetSettings defaults = SettingsCatalog.Resolve([], name => name is "HOME" or "XDG_DATA_HOME" ? environment(name) : null, out _);
        var env = new List<KeyValuePair<string, string>>();
        if (settings.AgentId is { } agent)
        {
            env.Add(KeyValuePair.Create("MESHFLEET_AGENT_ID", agent));
            if (agentKey is not null)
            {
                env.Add(KeyValuePair.Create(ServerEntry.AgentKeyVariable, agentKey));
            }
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
            yield return "MESHFLEET_TOKEN is not written into the config (it is the mesh's secret): give it to the client's environment yourself.";
        }
        else if (settings.IdentityOn && entry.AgentId is null)
        {
            yield return "Agent identity is on, but no agent is bound: this client can act as no agent until you run setup with --agent ID.";
        }

        yield return "Check everything with: meshfleet doctor";
    }

    /// <summary>
    /// Writes beside the file and renames over it, keeping its permissions (less group and others' access when it holds a
    /// secret): a crash leaves the old or the new config, never half of one. The temporary file is private from its creation.
    /// </summary>
    private static async Task WriteAtomicallyAsync(string path, string text, bool secret, CancellationToken cancellationToken)
    {
        Directory.CreateDirectory(Path.GetDirectoryName(path)!);
        string temp = path + ".meshfleet-tmp";
        var options = new FileStreamOptions { Mode = FileMode.Create, Access = FileAccess.Write };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite;
        }

        await using (var stream = new FileStream(temp, options))
        await using (var writer = new StreamWriter(stream))
        {
            await writer.WriteAsync(text.AsMemory(), cancellationToken).ConfigureAwait(false);
        }

        if (!OperatingSystem.IsWindows())
        {
            UnixFileMode mode = File.Exists(path) ? File.GetUnixFileMode(path) : UnixFileMode.UserRead | UnixFileMode.UserWrite;
            File.SetUnixFileMode(temp, secret ? mode & ~OthersAndGroup : mode);
        }

        File.Move(temp, path, overwrite: true);
    }

    /// <summary>The meshfleet entries of every client's config that can be read: where a key for the agent may already be.</summary>
    private static IEnumerable<ConfiguredServer> ConfiguredServers(ClientHome home)
    {
        foreach (ClientProfile client in ClientProfile.All)
        {
            string path = client.ConfigPath(home);
            ConfiguredServer? server = null;
            try
            {
                string text = File.Exists(path) ? File.ReadAllText(path) : string.Empty;
                server = text.Length == 0 ? null : client.UsesToml ? CodexConfigToml.Read(text) : JsonClientConfig.Read(client, text);
            }
            catch (Exception ex) when (ex is SetupException or IOException or UnauthorizedAccessException)
            {
                // A config setup cannot read holds no key it can reuse; writing this client's config reports its own problems.
            }

            if (server is not null)
            {
                yield return server;
            }
        }
    }
}
