using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Hosting;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli;

/// <summary>
/// <c>meshfleet agent-key revoke|rotate ID</c>: the operator's way to take an agent key back or replace a lost one. It needs
/// the store file and, on a store protected by a token, that token: what an operator holds anyway.
/// </summary>
internal static class AgentKeyCommands
{
    private const string Usage = "usage: meshfleet agent-key revoke AGENT_ID   (the key stops working; the next register_agent of that id gets a new one)\n" +
                                 "       meshfleet agent-key rotate AGENT_ID   (prints a new key on stdout; the old one stops working)";

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count != 2 || args[0] is not ("revoke" or "rotate"))
        {
            await Console.Error.WriteLineAsync(Usage).ConfigureAwait(false);
            return 2;
        }

        string agentId;
        try
        {
            agentId = InputRules.AgentId(args[1], "AGENT_ID");
        }
        catch (MeshInputException ex)
        {
            await Console.Error.WriteLineAsync($"meshfleet: {ex.Message}").ConfigureAwait(false);
            return 2;
        }

        await using SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = settings.DatabasePath }, TimeProvider.System);
        if (await new StoreProtection(settings, new SqliteMeta(store), store).CheckAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            await Console.Error.WriteLineAsync($"meshfleet: agent-key refused: {refusal}. Set MESHFLEET_TOKEN to the mesh's token.").ConfigureAwait(false);
            return 1;
        }

        var keys = new SqliteAgentKeys(store);
        if (args[0] == "revoke")
        {
            bool revoked = await keys.RevokeAsync(agentId, cancellationToken).ConfigureAwait(false);
            await Console.Error.WriteLineAsync(revoked
                ? $"meshfleet: revoked the key of '{agentId}' in {store.Path}. Its processes and stream URLs stop working now; register_agent '{agentId}' issues a new key to whoever calls it first."
                : $"meshfleet: '{agentId}' has no key in {store.Path}; nothing to revoke.").ConfigureAwait(false);
            return revoked ? 0 : 1;
        }

        string key = AgentKeys.NewKey();
        await keys.ReplaceAsync(agentId, AgentKeys.Hash(key), TimeProvider.System.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
        Console.Out.WriteLine(key);
        await Console.Error.WriteLineAsync($"meshfleet: '{agentId}' has a new key (above, shown once); the old one stopped working. Give it to the agent as MESHFLEET_AGENT_KEY or the {Identity.AgentIdentity.KeyHeader} header.").ConfigureAwait(false);
        return 0;
    }
}
