using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;

namespace Meshfleet.Core.Agents;

/// <summary>Makes and hashes agent keys: <c>mfk_</c> and 32 random bytes in base64url.</summary>
public static class AgentKeys
{
    /// <summary>What every key starts with, so a leaked one is recognisable (and secret scanners can find it).</summary>
    public const string Prefix = "mfk_";

    public static string NewKey() => Prefix + Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));

    /// <summary>
    /// SHA-256 of the key. A key is 256 random bits, so a plain hash cannot be reversed or guessed; no salt or slow hash needed.
    /// </summary>
    public static byte[] Hash(string key) => SHA256.HashData(Encoding.UTF8.GetBytes(key));

    /// <summary>True when the text has the shape of a key (it says nothing about whether the key is valid).</summary>
    public static bool LooksLikeKey(string? key) => key is { Length: > 4 and <= 128 } && key.StartsWith(Prefix, StringComparison.Ordinal);
}
