using System.Security.Cryptography;
using System.Text;
using Meshfleet.Core.Agents;

namespace Meshfleet.Core.Routing;

/// <summary>The text of an agent that routing embeds and indexes, and its hash (a changed hash means re-embed).</summary>
public static class AgentText
{
    /// <summary>
    /// Role and description, then the name and the id with separators as spaces ("code-reviewer" reads "code reviewer"):
    /// the description carries what the agent does; role, name and id add the words an orchestrator tends to use.
    /// </summary>
    public static string Of(AgentView agent)
    {
        var text = new StringBuilder();
        Append(text, agent.Role);
        Append(text, agent.Description);
        Append(text, agent.Name);
        Append(text, agent.AgentId.Replace('-', ' ').Replace('_', ' ').Replace('.', ' '));
        return text.ToString();
    }

    /// <summary>A short, stable hash of the text.</summary>
    public static string Hash(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)).AsSpan(0, 16));

    private static void Append(StringBuilder text, string? part)
    {
        if (string.IsNullOrWhiteSpace(part) || text.ToString().Contains(part, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }

        if (text.Length > 0)
        {
            text.Append(". ");
        }

        text.Append(part.Trim());
    }
}
