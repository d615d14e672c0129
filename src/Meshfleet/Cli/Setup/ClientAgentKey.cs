using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Hosting;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli.Setup;

/// <summary>
/// The agent key <c>meshfleet setup --agent ID</c> writes when agent identity is on: the key the user gave
/// (<c>--agent-key</c> / MESHFLEET_AGENT_KEY), else one a client config already holds for that agent, else a new key
/// claimed for an agent that has none. An agent whose key is held elsewhere is refused unless <c>--rotate-key</c> asks
/// to replace it, because replacing a key cuts off every process that uses the old one.
/// </summary>
internal static class ClientAgentKey
{
    /// <summary>How a key appears in setup's output: never the key itself.</summary>
    public const string Redacted = AgentKeys.Prefix + "…(redacted)";

    /// <summary>The key to write and a line saying where it came from. With <paramref name="dryRun"/>, the store is not changed.</summary>
    public static async Task<(string Key, string Note)> ObtainAsync(
        MeshfleetSettings settings, string agentId, IEnumerable<string> configuredKeys, bool rotate, bool dryRun, CancellationToken cancellationToken)
    {
        string path = Path.GetFullPath(settings.DatabasePath);
        if (dryRun && !File.Exists(path))
        {
            return (AgentKeys.NewKey(), $"Agent identity is on: would create {path} and claim a new key for '{agentId}' (dry run: nothing claimed).");
        }

        await using SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = path, SyncEveryCommit = settings.SyncEveryCommit }, TimeProvider.System);
        if (await new StoreProtection(settings, new SqliteMeta(store), store).CheckAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            throw new SetupException($"setup cannot obtain a key for agent '{agentId}': {refusal}. Set MESHFLEET_TOKEN to the mesh's token and run setup again");
        }

        var keys = new SqliteAgentKeys(store);
        byte[]? current = await keys.GetKeyHashAsync(agentId, cancellationToken).ConfigureAwait(false);
        if (settings.AgentKey is { } given && !rotate)
        {
            if (current is null || !AgentKeys.LooksLikeKey(given) || !AgentKeys.Hash(given).AsSpan().SequenceEqual(current))
            {
                throw new SetupException(current is null
                    ? $"--agent-key (or MESHFLEET_AGENT_KEY) was given, but agent '{agentId}' has no key in {path}. Leave it out and setup claims a new key for '{agentId}'"
                    : $"the key given by --agent-key (or MESHFLEET_AGENT_KEY) is not the current key of agent '{agentId}'. Pass the key register_agent or `meshfleet agent-key rotate {agentId}` printed, or add --rotate-key to replace it");
            }

            return (given, $"Agent identity is on: writing the key you gave for '{agentId}' as MESHFLEET_AGENT_KEY.");
        }

        if (!rotate && current is not null && configuredKeys.FirstOrDefault(k => AgentKeys.LooksLikeKey(k) && AgentKeys.Hash(k).AsSpan().SequenceEqual(current)) is { } kept)
        {
            return (kept, $"Agent identity is on: keeping the current key of '{agentId}' found in a client config as MESHFLEET_AGENT_KEY.");
        }

        if (current is not null && !rotate)
        {
            throw new SetupException(
                $"agent '{agentId}' already has a key, and no client config holds it. Pass it with --agent-key KEY (register_agent printed it once), " +
                $"or add --rotate-key to replace it (processes using the old key stop working; same as `meshfleet agent-key rotate {agentId}`)");
        }

        string key = AgentKeys.NewKey();
        if (dryRun)
        {
            return (key, $"Agent identity is on: would {(current is null ? "claim a new key" : "replace the key")} for '{agentId}' and write it as MESHFLEET_AGENT_KEY (dry run: nothing claimed).");
        }

        long now = TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds();
        if (current is not null)
        {
            await keys.ReplaceAsync(agentId, AgentKeys.Hash(key), now, cancellationToken).ConfigureAwait(false);
            return (key, $"Agent identity is on: replaced the key of '{agentId}' (the old one stopped working) and wrote the new one as MESHFLEET_AGENT_KEY.");
        }

        if (!await keys.ClaimAsync(agentId, AgentKeys.Hash(key), now, cancellationToken).ConfigureAwait(false))
        {
            throw new SetupException($"agent '{agentId}' was claimed by another process while setup ran. Pass its key with --agent-key KEY, or add --rotate-key to replace it");
        }

        return (key, $"Agent identity is on: claimed a new key for '{agentId}' and wrote it as MESHFLEET_AGENT_KEY (kept only in this config; `meshfleet agent-key rotate {agentId}` replaces it).");
    }
}
