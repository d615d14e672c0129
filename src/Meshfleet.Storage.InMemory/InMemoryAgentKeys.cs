using Meshfleet.Core.Agents;

namespace Meshfleet.Storage.InMemory;

/// <summary>Agents' key hashes in an in-memory store (agent directory role).</summary>
internal sealed class InMemoryAgentKeys : IAgentKeyStore
{
    private readonly InMemoryState _state;

    public InMemoryAgentKeys(InMemoryState state)
    {
        _state = state;
    }

    public ValueTask<string?> FindAgentAsync(byte[] keyHash, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<string?>(_state.Keys.FirstOrDefault(k => k.Value.Hash.AsSpan().SequenceEqual(keyHash)).Key);
        }
    }

    public ValueTask<byte[]?> GetKeyHashAsync(string agentId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Keys.TryGetValue(agentId, out (byte[] Hash, long CreatedAt) key) ? key.Hash.ToArray() : null);
        }
    }

    public ValueTask<bool> ClaimAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Keys.TryAdd(agentId, (keyHash.ToArray(), now)));
        }
    }

    public ValueTask ReplaceAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            _state.Keys[agentId] = (keyHash.ToArray(), now);
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<bool> RevokeAsync(string agentId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Keys.Remove(agentId));
        }
    }
}
