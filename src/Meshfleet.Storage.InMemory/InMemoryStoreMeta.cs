using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.InMemory;

/// <summary>The store's own facts (token protection, duty lease) in an in-memory store.</summary>
internal sealed class InMemoryStoreMeta : IStoreMeta
{
    private readonly InMemoryState _state;

    public InMemoryStoreMeta(InMemoryState state)
    {
        _state = state;
    }

    public ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Meta.GetValueOrDefault(key));
        }
    }

    public ValueTask<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            _state.Meta.TryAdd(key, value);
            return ValueTask.FromResult(_state.Meta[key]);
        }
    }

    public ValueTask<bool> TryReplaceAsync(string key, string? expected, string? value, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (!string.Equals(_state.Meta.GetValueOrDefault(key), expected, StringComparison.Ordinal))
            {
                return ValueTask.FromResult(false);
            }

            if (value is null)
            {
                _state.Meta.Remove(key);
            }
            else
            {
                _state.Meta[key] = value;
            }

            return ValueTask.FromResult(true);
        }
    }
}
