using System.Security.Cryptography;
using System.Text;
using Meshfleet.Configuration;
using Meshfleet.Core.Storage;

namespace Meshfleet.Hosting;

/// <summary>
/// Keeps a token-protected mesh protected. The first process that runs with <c>MESHFLEET_TOKEN</c> records a verifier of
/// the token in the store (a slow salted hash, never the token); from then on only a process holding that token may
/// serve the store over HTTP. Any other process keeps serving MCP on stdio but never takes the port.
/// </summary>
internal sealed class StoreProtection
{
    /// <summary>The meta key under which the verifier lives.</summary>
    public const string VerifierKey = "token_verifier";

    private const string Scheme = "pbkdf2-sha256";
    private const int Iterations = 100_000;
    private readonly MeshfleetSettings _settings;
    private readonly IStoreMeta _meta;
    private readonly IMessageLog _store;
    private string? _verifier;

    public StoreProtection(MeshfleetSettings settings, IStoreMeta meta, IMessageLog store)
    {
        _settings = settings;
        _meta = meta;
        _store = store;
    }

    /// <summary>
    /// Null when this process may serve the store over HTTP; otherwise why it may not. With a token, an unprotected
    /// store becomes protected here.
    /// </summary>
    public async ValueTask<string?> CheckAsync(CancellationToken cancellationToken)
    {
        string? stored = await _meta.GetAsync(VerifierKey, cancellationToken).ConfigureAwait(false);
        if (_settings.Token is not { } token)
        {
            return stored is null
                ? null
                : $"{_settings.StoreDescription} belongs to a token-protected mesh and this process has no token (MESHFLEET_TOKEN is not set)";
        }

        string mine = _verifier ??= Verifier(token, _store.StoreId);
        stored ??= await _meta.GetOrAddAsync(VerifierKey, mine, cancellationToken).ConfigureAwait(false);
        return CryptographicOperations.FixedTimeEquals(Encoding.ASCII.GetBytes(stored), Encoding.ASCII.GetBytes(mine))
            ? null
            : $"{_settings.StoreDescription} is protected by a different token than this process's MESHFLEET_TOKEN";
    }

    /// <summary>
    /// Makes the store accept <paramref name="newToken"/> instead of this process's token; null when done, otherwise why
    /// not (this process's token is not the store's).
    /// </summary>
    public async ValueTask<string?> RotateAsync(string newToken, CancellationToken cancellationToken)
    {
        if (await CheckAsync(cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            return refusal;
        }

        string current = _verifier!;
        return await _meta.TryReplaceAsync(VerifierKey, current, Verifier(newToken, _store.StoreId), cancellationToken).ConfigureAwait(false)
            ? null
            : "the store's token changed while rotating; try again";
    }

    /// <summary>A slow, store-salted hash: a copy of the store file does not give the token away cheaply.</summary>
    internal static string Verifier(string token, string storeId)
    {
        byte[] salt = Encoding.UTF8.GetBytes("meshfleet token verifier\n" + storeId);
        byte[] hash = Rfc2898DeriveBytes.Pbkdf2(Encoding.UTF8.GetBytes(token), salt, Iterations, HashAlgorithmName.SHA256, 32);
        return $"{Scheme}:{Iterations}:{Convert.ToBase64String(hash)}";
    }
}
