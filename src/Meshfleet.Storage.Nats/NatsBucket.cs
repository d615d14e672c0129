using System.Runtime.CompilerServices;
using System.Text.Json;
using System.Text.Json.Serialization.Metadata;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// One key-value bucket with JSON values from our source-generated context. Changes go through compare-and-set on the
/// key's revision and retry on a lost race, so two processes changing the same key never overwrite each other's change.
/// </summary>
internal sealed class NatsBucket
{
    private const int MaxRaces = 64;
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;

    public NatsBucket(INatsKVStore store)
    {
        Store = store;
    }

    public INatsKVStore Store { get; }

    /// <summary>The value under <paramref name="key"/> and its revision, or (null, 0) when absent or deleted.</summary>
    public async ValueTask<(T? Value, ulong Revision)> GetAsync<T>(string key, JsonTypeInfo<T> type, CancellationToken cancellationToken)
        where T : class
    {
        NatsResult<NatsKVEntry<byte[]>> result = await NatsMesh.RetryThroughFailoverAsync(
            async ct =>
            {
                NatsResult<NatsKVEntry<byte[]>> read = await Store.TryGetEntryAsync(key, 0, Raw, ct).ConfigureAwait(false);
                return read.Success || !NatsMesh.IsFailover(read.Error) ? read : throw read.Error;
            },
            TimeProvider.System,
            cancellationToken).ConfigureAwait(false);
        if (!result.Success)
        {
            return result.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? (null, 0) : throw result.Error;
        }

        NatsKVEntry<byte[]> entry = result.Value;
        return entry.Value is { Length: > 0 } bytes ? (JsonSerializer.Deserialize(bytes, type), entry.Revision) : (null, 0);
    }

    /// <summary>Writes the value, whatever the key held.</summary>
    public async ValueTask PutAsync<T>(string key, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        byte[] data = JsonSerializer.SerializeToUtf8Bytes(value, type);
        await NatsMesh.RetryThroughFailoverAsync(ct => Store.PutAsync(key, data, Raw, ct), TimeProvider.System, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Writes the value only when the key holds none; returns its revision, or 0 when another value was there first.</summary>
    public async ValueTask<ulong> TryCreateAsync<T>(string key, T value, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        NatsResult<ulong> result = await Store.TryCreateAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, type), Raw, cancellationToken).ConfigureAwait(false);
        return result.Success ? result.Value
            : result.Error is NatsKVCreateException or NatsKVWrongLastRevisionException ? 0UL
            : throw result.Error;
    }

    /// <summary>Writes the value only while the key is still at <paramref name="revision"/>; returns the new revision, or 0 on a lost race.</summary>
    public async ValueTask<ulong> TryUpdateAsync<T>(string key, T value, ulong revision, JsonTypeInfo<T> type, CancellationToken cancellationToken)
    {
        NatsResult<ulong> result = await Store.TryUpdateAsync(key, JsonSerializer.SerializeToUtf8Bytes(value, type), revision, Raw, cancellationToken).ConfigureAwait(false);
        return result.Success ? result.Value : result.Error is NatsKVWrongLastRevisionException ? 0UL : throw result.Error;
    }

    /// <summary>
    /// Reads the key, applies <paramref name="change"/> (null: leave it as it is) and writes the result if nobody wrote in
    /// between, else tries again on the new value. Returns what the key holds afterwards (null when absent).
    /// </summary>
    public async ValueTask<T?> MutateAsync<T>(string key, JsonTypeInfo<T> type, Func<T?, T?> change, CancellationToken cancellationToken)
        where T : class
    {
        for (int race = 0; race < MaxRaces; race++)
        {
            (T? current, ulong revision) = await GetAsync(key, type, cancellationToken).ConfigureAwait(false);
            T? next = change(current);
            if (next is null || ReferenceEquals(next, current))
            {
                return current;
            }

            ulong written;
            try
            {
                written = revision == 0
                    ? await TryCreateAsync(key, next, type, cancellationToken).ConfigureAwait(false)
                    : await TryUpdateAsync(key, next, revision, type, cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (NatsMesh.IsFailover(ex))
            {
                // No answer while the cluster elects a leader: read again and retry (the reads wait out the election).
                continue;
            }

            if (written != 0)
            {
                return next;
            }
        }

        throw new InvalidOperationException($"Key {key} in bucket {Store.Bucket} kept changing under {MaxRaces} attempts to update it.");
    }

    /// <summary>Deletes the key (a no-op when absent); with a revision, only while the key is still at it.</summary>
    public async ValueTask<bool> DeleteAsync(string key, CancellationToken cancellationToken, ulong revision = 0)
    {
        NatsResult result = await Store.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = revision }, cancellationToken).ConfigureAwait(false);
        return result.Success || (result.Error is not NatsKVWrongLastRevisionException ? throw result.Error : false);
    }

    /// <summary>The bucket's live keys (matching <paramref name="filter"/>, a subject-style pattern, when given).</summary>
    public async IAsyncEnumerable<string> KeysAsync(string? filter, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        IAsyncEnumerable<string> keys = filter is null
            ? Store.GetKeysAsync(new NatsKVWatchOpts(), cancellationToken)
            : Store.GetKeysAsync([filter], new NatsKVWatchOpts(), cancellationToken);
        await foreach (string key in keys.ConfigureAwait(false))
        {
            yield return key;
        }
    }
}
