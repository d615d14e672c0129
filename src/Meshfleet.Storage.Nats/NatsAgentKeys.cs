using System.Text;
using Meshfleet.Core.Agents;
using NATS.Client.Core;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// Agents' key hashes: one key per agent (claimed create-only, so two registrations cannot both win), and a reverse
/// key per hash to find the agent. A reverse entry counts only while the agent's own entry still holds that hash.
/// </summary>
public sealed class NatsAgentKeys : IAgentKeyStore
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly NatsMesh _mesh;

    public NatsAgentKeys(NatsMesh mesh)
    {
        _mesh = mesh;
    }

    public async ValueTask<string?> FindAgentAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        NatsResult<NATS.Client.KeyValueStore.NatsKVEntry<byte[]>> owner = await _mesh.KeyOwners.Store.TryGetEntryAsync(Convert.ToHexStringLower(keyHash), 0, Raw, cancellationToken).ConfigureAwait(false);
        if (!owner.Success || owner.Value.Value is not { Length: > 0 } bytes)
        {
            return null;
        }

        string agentId = Encoding.UTF8.GetString(bytes);
        byte[]? current = await GetKeyHashAsync(agentId, cancellationToken).ConfigureAwait(false);
        return current is not null && current.AsSpan().SequenceEqual(keyHash) ? agentId : null;
    }

    public async ValueTask<byte[]?> GetKeyHashAsync(string agentId, CancellationToken cancellationToken) =>
        (await _mesh.AgentKeys.GetAsync(NatsNames.Token(agentId), NatsStoreJsonContext.Default.StoredAgentKey, cancellationToken).ConfigureAwait(false)).Value?.Hash;

    public async ValueTask<bool> ClaimAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken)
    {
        ulong created = await _mesh.AgentKeys.TryCreateAsync(NatsNames.Token(agentId), new StoredAgentKey(keyHash, now), NatsStoreJsonContext.Default.StoredAgentKey, cancellationToken).ConfigureAwait(false);
        if (created == 0)
        {
            return false;
        }

        await SetOwnerAsync(agentId, keyHash, cancellationToken).ConfigureAwait(false);
        return true;
    }

    public async ValueTask ReplaceAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken)
    {
        // The new hash is written before the agent's key changes, so the new key works the moment the old one stops.
        await SetOwnerAsync(agentId, keyHash, cancellationToken).ConfigureAwait(false);
        StoredAgentKey? previous = null;
        await _mesh.AgentKeys.MutateAsync(
            NatsNames.Token(agentId),
            NatsStoreJsonContext.Default.StoredAgentKey,
            current =>
            {
                previous = current;
                return new StoredAgentKey(keyHash, now);
            },
            cancellationToken).ConfigureAwait(false);
        if (previous is not null && !previous.Hash.AsSpan().SequenceEqual(keyHash))
        {
            await _mesh.KeyOwners.DeleteAsync(Convert.ToHexStringLower(previous.Hash), cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask<bool> RevokeAsync(string agentId, CancellationToken cancellationToken)
    {
        string key = NatsNames.Token(agentId);
        (StoredAgentKey? current, ulong revision) = await _mesh.AgentKeys.GetAsync(key, NatsStoreJsonContext.Default.StoredAgentKey, cancellationToken).ConfigureAwait(false);
        if (current is null || !await _mesh.AgentKeys.DeleteAsync(key, cancellationToken, revision).ConfigureAwait(false))
        {
            return false;
        }

        await _mesh.KeyOwners.DeleteAsync(Convert.ToHexStringLower(current.Hash), cancellationToken).ConfigureAwait(false);
        return true;
    }

    private async ValueTask SetOwnerAsync(string agentId, byte[] keyHash, CancellationToken cancellationToken) =>
        await _mesh.KeyOwners.Store.PutAsync(Convert.ToHexStringLower(keyHash), Encoding.UTF8.GetBytes(agentId), Raw, cancellationToken).ConfigureAwait(false);
}
