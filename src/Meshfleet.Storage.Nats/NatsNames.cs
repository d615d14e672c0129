using System.Security.Cryptography;
using System.Text;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// Where a mesh lives on the server: its stream, its subjects and its buckets. Agent ids may hold '.', which separates
/// tokens in subjects and keys, so ids are escaped into one token ('_' escapes: "_d" is '.', "_u" is '_').
/// </summary>
internal sealed class NatsNames
{
    public NatsNames(string mesh)
    {
        Mesh = mesh;
        Stream = "MESHFLEET_" + mesh;
        SubjectPrefix = $"meshfleet.{mesh}.inbox.";
    }

    public string Mesh { get; }

    /// <summary>The stream holding every message of the mesh; its sequence is the mesh's seq.</summary>
    public string Stream { get; }

    public string SubjectPrefix { get; }

    /// <summary>Every inbox subject of the mesh.</summary>
    public string AllInboxes => SubjectPrefix + ">";

    public string Bucket(string role) => $"meshfleet_{Mesh}_{role}";

    public string Inbox(string agentId) => SubjectPrefix + Token(agentId);

    /// <summary>One subject or key token for an id of <c>[A-Za-z0-9._-]</c>.</summary>
    public static string Token(string id)
    {
        if (!id.Contains('.', StringComparison.Ordinal) && !id.Contains('_', StringComparison.Ordinal))
        {
            return id;
        }

        var token = new StringBuilder(id.Length + 8);
        foreach (char c in id)
        {
            _ = c switch
            {
                '.' => token.Append("_d"),
                '_' => token.Append("_u"),
                _ => token.Append(c),
            };
        }

        return token.ToString();
    }

    /// <summary>The id a <see cref="Token"/> was made from.</summary>
    public static string Untoken(string token)
    {
        if (!token.Contains('_', StringComparison.Ordinal))
        {
            return token;
        }

        var id = new StringBuilder(token.Length);
        for (int i = 0; i < token.Length; i++)
        {
            if (token[i] == '_' && i + 1 < token.Length)
            {
                id.Append(token[++i] == 'd' ? '.' : '_');
            }
            else
            {
                id.Append(token[i]);
            }
        }

        return id.ToString();
    }

    /// <summary>
    /// The key of a message id in the per-message buckets: our ids (<c>msg_</c> and hex) as they are; an imported id
    /// with other characters as a hash (the '=' prefix keeps the two apart).
    /// </summary>
    public static string MessageKey(string messageId) =>
        messageId.Length > 0 && messageId.All(c => char.IsAsciiLetterOrDigit(c) || c is '_' or '-') ? messageId : "=" + Hashed(messageId);

    /// <summary>A key token for any text (idempotency keys, model names): a hash, since such text may hold any character.</summary>
    public static string Hashed(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)))[..40];
}
