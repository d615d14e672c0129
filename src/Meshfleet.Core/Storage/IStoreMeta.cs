namespace Meshfleet.Core.Storage;

/// <summary>
/// The store's own facts, seen alike by every process sharing the store: whether the mesh is token-protected, which
/// process holds the duty lease. Small keys and values with compare-and-swap; kept by the backend beside its
/// <see cref="IMessageLog"/> (part of that role).
/// </summary>
public interface IStoreMeta
{
    /// <summary>The value stored under <paramref name="key"/>, or null.</summary>
    ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken);

    /// <summary>Stores <paramref name="value"/> unless the key already holds one; returns what the key holds afterwards.</summary>
    ValueTask<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken);

    /// <summary>
    /// Compare-and-swap: sets the key to <paramref name="value"/> (null removes it) only while it still holds
    /// <paramref name="expected"/> (null: absent). Returns whether it did.
    /// </summary>
    ValueTask<bool> TryReplaceAsync(string key, string? expected, string? value, CancellationToken cancellationToken);
}
