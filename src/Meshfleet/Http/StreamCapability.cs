using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.WebUtilities;

namespace Meshfleet.Http;

/// <summary>
/// A capability for one agent's stream: an HMAC of the agent id under a key derived from the token. A stream URL
/// carrying it opens that agent's stream without the Authorization header, and no other agent's. Rotating the token
/// invalidates every capability issued under the old one.
/// </summary>
public sealed class StreamCapability
{
    private readonly byte[] _key;

    public StreamCapability(string token)
    {
        _key = SHA256.HashData(Encoding.UTF8.GetBytes("meshfleet stream capability\n" + token));
    }

    /// <summary>The query parameter that carries the capability.</summary>
    public const string QueryName = "cap";

    public string Issue(string agentId) => WebEncoders.Base64UrlEncode(HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(agentId)));

    public bool Verify(string agentId, string? capability)
    {
        if (string.IsNullOrEmpty(capability) || capability.Length > 64)
        {
            return false;
        }

        byte[] expected = HMACSHA256.HashData(_key, Encoding.UTF8.GetBytes(agentId));
        byte[] presented;
        try
        {
            presented = WebEncoders.Base64UrlDecode(capability);
        }
        catch (FormatException)
        {
            return false;
        }

        return CryptographicOperations.FixedTimeEquals(expected, presented);
    }
}
