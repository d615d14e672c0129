using System.Globalization;
using System.Net.Http.Json;
using System.Net.Sockets;
using System.Text.Json;
using Meshfleet.Cli.Setup;
using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Hosting;
using Meshfleet.Json;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Cli.Doctor;

/// <summary>
/// <c>meshfleet doctor</c>: checks the binary, the store, the port holder, the token and the configured clients, and says
/// what to fix. Reads only: it never creates, migrates or protects a store, and never edits a config.
/// </summary>
internal static class DoctorCommand
{
    public static async Task<int> RunAsync(MeshfleetSettings settings, Func<string, string?> environment, TextWriter output, CancellationToken cancellationToken)
    {
        var report = new DoctorReport(output);
        string binary = Environment.ProcessPath ?? "(unknown)";
        await report.OkAsync("binary", $"meshfleet {ProductInfo.Version} at {binary}").ConfigureAwait(false);

        StoreInspection? store = await CheckStoreAsync(settings, report).ConfigureAwait(false);
        await CheckPortAsync(settings, store, report, cancellationToken).ConfigureAwait(false);
        await CheckTokenAsync(settings, store, report).ConfigureAwait(false);
        await CheckIdentityAsync(settings, report).ConfigureAwait(false);
        await CheckClientsAsync(settings, store, new ClientHome(environment), binary, report, cancellationToken).ConfigureAwait(false);

        await output.WriteLineAsync(report.Problems == 0 ? "All good." : $"{report.Problems} problem(s) to fix (see FIX above).").ConfigureAwait(false);
        return report.Problems == 0 ? 0 : 1;
    }

    private static async Task<StoreInspection?> CheckStoreAsync(MeshfleetSettings settings, DoctorReport report)
    {
        string path = Path.GetFullPath(settings.DatabasePath);
        if (!File.Exists(path))
        {
            await report.NoteAsync("store", $"{path} does not exist yet; the first meshfleet process creates it (MESHFLEET_DB / --db chooses another)").ConfigureAwait(false);
            return null;
        }

        StoreInspection store = StoreInspection.Read(path);
        if (store.Problem is { } problem)
        {
            await report.ProblemAsync("store", $"{path}: {problem.Split(':')[0]}", problem[(problem.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim()).ConfigureAwait(false);
            return null;
        }

        await report.OkAsync("store", $"{path}, schema version {store.Version} (this build: {SqliteSchema.LatestVersion}), store_id {store.StoreId}").ConfigureAwait(false);
        return store;
    }

    private static async Task CheckPortAsync(MeshfleetSettings settings, StoreInspection? store, DoctorReport report, CancellationToken cancellationToken)
    {
        if (settings.SsePort == 0)
        {
            await report.NoteAsync("port", "MESHFLEET_SSE_PORT is 0: every process picks its own port, so processes do not share one push hub").ConfigureAwait(false);
            return;
        }

        string url = settings.PublicBaseUrl + "/healthz";
        using var http = new HttpClient { Timeout = TimeSpan.FromSeconds(3) };
        HealthReport? health;
        try
        {
            health = await http.GetFromJsonAsync(url, MeshfleetJsonContext.Default.HealthReport, cancellationToken).ConfigureAwait(false);
        }
        catch (HttpRequestException ex) when (ex.InnerException is SocketException { SocketErrorCode: SocketError.ConnectionRefused })
        {
            await report.OkAsync("port", $"{settings.SsePort} is free: the first meshfleet process to start takes it and serves the streams").ConfigureAwait(false);
            return;
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or JsonException or NotSupportedException)
        {
            await report.ProblemAsync(
                "port",
                $"{settings.SsePort} is held by a program that is not a Meshfleet hub ({url}: {ex.Message.TrimEnd('.')})",
                "stop that program, or give this mesh its own port with MESHFLEET_SSE_PORT / --sse-port (the same in every client's config: meshfleet setup <client> --sse-port N)").ConfigureAwait(false);
            return;
        }

        if (health is null || store is null || health.StoreId == store.StoreId)
        {
            await report.OkAsync("port", $"{settings.SsePort} is held by meshfleet {health?.Version} (pid {health?.Pid})" + (store is null ? string.Empty : ", serving this store")).ConfigureAwait(false);
            return;
        }

        await report.ProblemAsync(
            "port",
            $"{settings.SsePort} is held by meshfleet {health.Version} (pid {health.Pid}) serving another store (store_id {health.StoreId}, not {store.StoreId})",
            "use one store for the mesh (the same MESHFLEET_DB everywhere), or give this one its own MESHFLEET_SSE_PORT").ConfigureAwait(false);
    }

    private static async Task CheckTokenAsync(MeshfleetSettings settings, StoreInspection? store, DoctorReport report)
    {
        string? verifier = store?.Verifier;
        if (settings.Token is not { } token)
        {
            if (verifier is null)
            {
                await report.OkAsync("token", "none set; the HTTP listener is loopback-only and open to local programs").ConfigureAwait(false);
            }
            else
            {
                await report.ProblemAsync("token", "the store is protected by a token and MESHFLEET_TOKEN is not set", "set MESHFLEET_TOKEN / --token to the mesh's token (without it a process serves stdio only, never the port)").ConfigureAwait(false);
            }

            return;
        }

        if (verifier is null)
        {
            await report.NoteAsync("token", store is null ? "set; the store will be protected by it when created" : "set; the store is not protected yet: the first process that runs with this token protects it").ConfigureAwait(false);
        }
        else if (verifier == StoreProtection.Verifier(token, store!.StoreId!))
        {
            await report.OkAsync("token", "set, and it is the token the store is protected by").ConfigureAwait(false);
        }
        else
        {
            await report.ProblemAsync("token", "MESHFLEET_TOKEN is not the token the store is protected by", "set MESHFLEET_TOKEN to the mesh's current token (meshfleet rotate-token changes it, given the current one)").ConfigureAwait(false);
        }
    }

    private static Task CheckIdentityAsync(MeshfleetSettings settings, DoctorReport report) => settings.IdentityOn
        ? report.OkAsync("identity", $"on ({(settings.AgentIdentity == true ? "MESHFLEET_AGENT_IDENTITY=on" : "MESHFLEET_TOKEN is set")}): an agent acts only as itself, proved by its key (MESHFLEET_AGENT_KEY)")
        : report.NoteAsync("identity", settings.AgentIdentity == false
            ? "off (MESHFLEET_AGENT_IDENTITY=off): any caller may act as any agent"
            : "off (no MESHFLEET_TOKEN): any caller may act as any agent; a token turns agent keys on");

    private static async Task CheckClientsAsync(MeshfleetSettings settings, StoreInspection? store, ClientHome home, string binary, DoctorReport report, CancellationToken cancellationToken)
    {
        int configured = 0;
        int needed = (int)settings.MaxWait.TotalSeconds + 5;
        foreach (ClientProfile client in ClientProfile.All)
        {
            string area = "client " + client.Id;
            string path = client.ConfigPath(home);
            ConfiguredServer? server;
            try
            {
                server = !File.Exists(path) ? null
                    : client.UsesToml ? CodexConfigToml.Read(await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false))
                    : JsonClientConfig.Read(client, await File.ReadAllTextAsync(path, cancellationToken).ConfigureAwait(false));
            }
            catch (SetupException ex)
            {
                await report.ProblemAsync(area, $"{path}: {ex.Message.Split(';')[0]}", "fix the file by hand; meshfleet setup refuses to rewrite what it cannot read").ConfigureAwait(false);
                continue;
            }

            if (server is null)
            {
                if (client.FindInstallation(home) is not null)
                {
                    await report.NoteAsync(area, $"{client.DisplayName} is installed but has no meshfleet server in {path}; to connect it: meshfleet setup {client.Id} --agent ID").ConfigureAwait(false);
                }

                continue;
            }

            configured++;
            string agent = server.AgentId is null ? "no agent bound" : $"agent '{server.AgentId}'";
            if (server.Command is null || !File.Exists(server.Command))
            {
                await report.ProblemAsync(area, $"{path} launches {server.Command ?? "(no command)"}, which does not exist", $"run meshfleet setup {client.Id} with the meshfleet you want it to use").ConfigureAwait(false);
            }
            else if (client != ClientProfile.Claude && (server.ToolTimeoutSeconds is not { } timeout || timeout < needed))
            {
                string set = server.ToolTimeoutSeconds is { } t ? $"{t.ToString(CultureInfo.InvariantCulture)} s" : "not set (the client's default cuts waits off)";
                await report.ProblemAsync(area, $"{path}: the tool timeout is {set}, below the {needed} s a wait may take", $"run meshfleet setup {client.Id} (it sets the timeout), or raise it by hand").ConfigureAwait(false);
            }
            else if (KeyProblem(settings, store, server) is { } keyProblem)
            {
                await report.ProblemAsync(area, $"{path}: {keyProblem}", $"run meshfleet setup {client.Id} --agent {server.AgentId} (with MESHFLEET_TOKEN set; add --agent-key KEY or --rotate-key if it says so)").ConfigureAwait(false);
            }
            else
            {
                string which = server.Command == binary ? "this meshfleet" : $"{server.Command} (not this binary, {binary})";
                string key = settings.IdentityOn && server.AgentId is not null && store is not null ? " with its current key" : string.Empty;
                await report.OkAsync(area, $"{path} launches {which}, {agent}{key}").ConfigureAwait(false);
            }
        }

        if (configured == 0)
        {
            await report.NoteAsync("clients", "no client is configured yet: meshfleet setup <claude|opencode|codex|gemini> --agent ID").ConfigureAwait(false);
        }
    }

    /// <summary>With identity on, why the client cannot act as its agent (no key, or not the agent's current key), or null. Never prints the key.</summary>
    private static string? KeyProblem(MeshfleetSettings settings, StoreInspection? store, ConfiguredServer server)
    {
        if (!settings.IdentityOn || server.AgentId is not { } agent || store is null)
        {
            return null;
        }

        if (server.AgentKey is null)
        {
            return $"agent '{agent}' is bound without MESHFLEET_AGENT_KEY, so with agent identity on it cannot act as '{agent}'";
        }

        byte[]? current;
        try
        {
            current = StoreInspection.AgentKeyHash(Path.GetFullPath(settings.DatabasePath), agent);
        }
        catch (SqliteException ex)
        {
            return $"the key of agent '{agent}' could not be checked ({ex.Message.TrimEnd('.')})";
        }

        return current is not null && AgentKeys.LooksLikeKey(server.AgentKey) && AgentKeys.Hash(server.AgentKey).AsSpan().SequenceEqual(current)
            ? null
            : $"its MESHFLEET_AGENT_KEY is not the current key of agent '{agent}' (rotated, revoked, or from another store)";
    }
}
