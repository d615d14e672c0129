namespace Meshfleet.Core.Agents;

/// <summary>
/// The hashes of agents' secret keys (agent identity). Only a hash is kept: the key itself is shown once, to whoever
/// registered the agent, and a copy of the store does not let anyone act as an agent. Part of the agent directory role
/// (<see cref="IAgentDirectory"/>).
/// </summary>
public interface IAgentKeyStore
{
    /// <summary>The agent whose current key has this hash, or null.</summary>
    ValueTask<string?> FindAgentAsync(byte[] keyHash, CancellationToken cancellationToken);

    /// <summary>The hash of the agent's current key, or null when it has none.</summary>
    ValueTask<byte[]?> GetKeyHashAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Gives the agent its first key; false when it already has one (someone else claimed it first).</summary>
    ValueTask<bool> ClaimAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken);

    /// <summary>Replaces the agent's key (rotation); the old one stops working at once.</summary>
    ValueTask ReplaceAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken);

    /// <summary>Deletes the agent's key; false when it had none. Its id can then be claimed again by register_agent.</summary>
    ValueTask<bool> RevokeAsync(string agentId, CancellationToken cancellationToken);
}
