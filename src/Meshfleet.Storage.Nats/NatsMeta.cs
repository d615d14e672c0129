using System.Text;
using Meshfleet.Core.Storage;
using NATS.Client.Core;
using NATS.Client.KeyValueStore;

namespace Meshfleet.Storage.Nats;

/// <summary>The mesh's own facts (store id, token verifier, duty lease) in a bucket, changed by compare-and-set on revisions.</summary>
public sealed class NatsMeta : IStoreMeta
{
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly INatsKVStore _bucket;

    public NatsMeta(NatsMesh mesh)
    {
        _bucket = mesh.Meta.Store;
    }

    /// <inheritdoc />
    public async ValueTask<string?> GetAsync(string key, CancellationToken cancellationToken) =>
        (await NatsMesh.RetryThroughFailoverAsync(ct => ReadAsync(key, ct), TimeProvider.System, cancellationToken).ConfigureAwait(false)).Value;

    /// <inheritdoc />
    /// <remarks>
    /// Runs through a leader election like the stores' calls (a whole cluster restarted answers no request for a few
    /// seconds, and this is the first call a process makes): a create-only write followed by a read is safe to repeat.
    /// </remarks>
    public ValueTask<string> GetOrAddAsync(string key, string value, CancellationToken cancellationToken) =>
        NatsMesh.RetryThroughFailoverAsync(ct => CreateOrReadAsync(key, value, ct), TimeProvider.System, cancellationToken);

    private async ValueTask<string> CreateOrReadAsync(string key, string value, CancellationToken cancellationToken)
    {
        while (true)
        {
            NatsResult<ulong> created = await _bucket.TryCreateAsync(key, Encoding.UTF8.GetBytes(value), Raw, cancellationToken).ConfigureAwait(false);
            if (created.Success)
            {
                return value;
            }

            if (created.Error is not (NatsKVCreateException or NatsKVWrongLastRevisionException))
            {
                throw created.Error;
            }

            if ((await ReadAsync(key, cancellationToken).ConfigureAwait(false)).Value is { } existing)
            {
                return existing;
            }
        }
    }

    /// <inheritdoc />
    public async ValueTask<bool> TryReplaceAsync(string key, string? expected, string? value, CancellationToken cancellationToken)
    {
        (string? current, ulong revision) = await ReadAsync(key, cancellationToken).ConfigureAwait(false);
        if (!string.Equals(current, expected, StringComparison.Ordinal))
        {
            return false;
        }

        NatsResult result;
        if (value is null)
        {
            result = await _bucket.TryDeleteAsync(key, new NatsKVDeleteOpts { Revision = revision }, cancellationToken).ConfigureAwait(false);
        }
        else if (current is null)
        {
            NatsResult<ulong> created = await _bucket.TryCreateAsync(key, Encoding.UTF8.GetBytes(value), Raw, cancellationToken).ConfigureAwait(false);
            result = created.Success ? NatsResult.Default : new NatsResult(created.Error);
        }
        else
        {
            NatsResult<ulong> updated = await _bucket.TryUpdateAsync(key, Encoding.UTF8.GetBytes(value), revision, Raw, cancellationToken).ConfigureAwait(false);
            result = updated.Success ? NatsResult.Default : new NatsResult(updated.Error);
        }

        return result.Success || (result.Error is NatsKVCreateException or NatsKVWrongLastRevisionException ? false : throw result.Error);
    }

    private async ValueTask<(string? Value, ulong Revision)> ReadAsync(string key, CancellationToken cancellationToken)
    {
        NatsResult<NatsKVEntry<byte[]>> entry = await _bucket.TryGetEntryAsync(key, 0, Raw, cancellationToken).ConfigureAwait(false);
        if (!entry.Success)
        {
            return entry.Error is NatsKVKeyNotFoundException or NatsKVKeyDeletedException ? (null, 0) : throw entry.Error;
        }

        return entry.Value.Value is { Length: > 0 } bytes ? (Encoding.UTF8.GetString(bytes), entry.Value.Revision) : (null, 0);
    }
}
