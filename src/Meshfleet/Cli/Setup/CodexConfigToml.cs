using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace Meshfleet.Cli.Setup;

/// <summary>
/// Edits Codex's <c>config.toml</c> by rewriting only the <c>[mcp_servers.meshfleet]</c> table (and folding its
/// <c>.env</c> sub-table into it): every other line of the file stays as it was, comments included. The keys meshfleet
/// does not set (enabled, cwd, ...) and env variables it does not manage are kept.
/// </summary>
internal static partial class CodexConfigToml
{
    private const string Table = "mcp_servers.meshfleet";

    private static readonly string[] ManagedKeys = ["command", "args", "env", "startup_timeout_sec", "tool_timeout_sec"];

    /// <summary>The file with the meshfleet table written, and that table (for --dry-run and the summary).</summary>
    public static (string Text, string Changed) Apply(string? existing, ServerEntry entry)
    {
        List<string> lines = Lines(existing);
        (int start, int end) = FindTables(lines);
        var kept = new List<string>();
        var env = new List<KeyValuePair<string, string>>();
        string? current = null;
        for (int i = start; i < end; i++)
        {
            string line = lines[i];
            if (TableName(line) is { } name)
            {
                current = name;
                continue;
            }

            if (current == Table + ".env")
            {
                if (KeyValue(line) is { } pair)
                {
                    env.Add(pair);
                }

                continue;
            }

            string? key = KeyValue(line)?.Key;
            if (key == "env")
            {
                env.AddRange(InlineTable(line));
            }
            else if (key is not null && ManagedKeys.Contains(key))
            {
                // A multi-line array (args = [ ... ]) continues until its brackets balance.
                int depth = Depth(line);
                while (depth > 0 && i + 1 < end)
                {
                    depth += Depth(lines[++i]);
                }
            }
            else if (line.Trim().Length > 0)
            {
                kept.Add(line);
            }
        }

        string block = Render(entry, env, kept);
        var output = new List<string>();
        if (start < end)
        {
            output.AddRange(lines.Take(start));
            output.AddRange(block.TrimEnd('\n').Split('\n'));
            List<string> after = lines.Skip(end).SkipWhile(l => l.Trim().Length == 0).ToList();
            if (after.Count > 0)
            {
                output.Add(string.Empty);
                output.AddRange(after);
            }
        }
        else
        {
            output.AddRange(lines);
            while (output.Count > 0 && output[^1].Trim().Length == 0)
            {
                output.RemoveAt(output.Count - 1);
            }

            if (output.Count > 0)
            {
                output.Add(string.Empty);
            }

            output.AddRange(block.TrimEnd('\n').Split('\n'));
        }

        return (string.Join('\n', output).TrimEnd('\n') + "\n", block);
    }

    /// <summary>The meshfleet table in <paramref name="text"/>, or null when there is none.</summary>
    public static ConfiguredServer? Read(string text)
    {
        List<string> lines = Lines(text);
        (int start, int end) = FindTables(lines);
        if (start == end)
        {
            return null;
        }

        string? command = null;
        string? agent = null;
        string? key = null;
        double? timeout = null;
        string? current = null;
        for (int i = start; i < end; i++)
        {
            if (TableName(lines[i]) is { } name)
            {
                current = name;
                continue;
            }

            if (KeyValue(lines[i]) is not { } pair)
            {
                continue;
            }

            if (current == Table + ".env" && pair.Key == "MESHFLEET_AGENT_ID")
            {
                agent = Unquote(pair.Value);
            }
            else if (current == Table + ".env" && pair.Key == ServerEntry.AgentKeyVariable)
            {
                key = Unquote(pair.Value);
            }
            else if (current == Table)
            {
                switch (pair.Key)
                {
                    case "command":
                        command = Unquote(pair.Value);
                        break;
                    case "tool_timeout_sec" when double.TryParse(pair.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds):
                        timeout = seconds;
                        break;
                    case "env":
                        agent = InlineTable(lines[i]).Where(p => p.Key == "MESHFLEET_AGENT_ID").Select(p => Unquote(p.Value)).FirstOrDefault() ?? agent;
                        key = InlineTable(lines[i]).Where(p => p.Key == ServerEntry.AgentKeyVariable).Select(p => Unquote(p.Value)).FirstOrDefault() ?? key;
                        break;
                }
            }
        }

        return new ConfiguredServer(command, timeout, agent, key);
    }

    private static string Render(ServerEntry entry, List<KeyValuePair<string, string>> existingEnv, List<string> kept)
    {
        // A key belongs to its agent: it goes when the binding goes or changes (setup writes the new agent's key, if any).
        string? previous = existingEnv.Where(p => p.Key == "MESHFLEET_AGENT_ID").Select(p => Unquote(p.Value)).FirstOrDefault();
        bool keepKey = entry.AgentId is not null && entry.AgentId == previous;
        var env = existingEnv
            .Where(p => p.Key != "MESHFLEET_AGENT_ID" && (keepKey || p.Key != ServerEntry.AgentKeyVariable) && !entry.Environment.Any(e => e.Key == p.Key))
            .ToList();
        env.AddRange(entry.Environment.Select(p => KeyValuePair.Create(p.Key, Quote(p.Value))));
        var text = new StringBuilder();
        text.Append('[').Append(Table).Append("]\n");
        text.Append("command = ").Append(Quote(entry.Command)).Append('\n');
        text.Append("args = []\n");
        if (env.Count > 0)
        {
            text.Append("env = { ").AppendJoin(", ", env.Select(p => $"{p.Key} = {p.Value}")).Append(" }\n");
        }

        text.Append(CultureInfo.InvariantCulture, $"startup_timeout_sec = {ServerEntry.StartupTimeoutSeconds}\n");
        text.Append(CultureInfo.InvariantCulture, $"tool_timeout_sec = {entry.ToolTimeoutSeconds}\n");
        foreach (string line in kept)
        {
            text.Append(line).Append('\n');
        }

        return text.ToString();
    }

    private static List<string> Lines(string? text) =>
        string.IsNullOrEmpty(text) ? [] : text.Replace("\r\n", "\n", StringComparison.Ordinal).TrimEnd('\n').Split('\n').ToList();

    /// <summary>The line range of the meshfleet table and its sub-tables (start == end when there is none).</summary>
    private static (int Start, int End) FindTables(List<string> lines)
    {
        int start = -1;
        for (int i = 0; i < lines.Count; i++)
        {
            if (TableName(lines[i]) is not { } name)
            {
                continue;
            }

            bool ours = name == Table || name.StartsWith(Table + ".", StringComparison.Ordinal);
            if (ours && start < 0)
            {
                start = i;
            }
            else if (!ours && start >= 0)
            {
                // Comments and blank lines just above the next table belong to it.
                int end = i;
                while (end > start + 1 && (lines[end - 1].Trim().Length == 0 || lines[end - 1].TrimStart().StartsWith('#')))
                {
                    end--;
                }

                return (start, end);
            }
        }

        return start < 0 ? (lines.Count, lines.Count) : (start, lines.Count);
    }

    private static string? TableName(string line)
    {
        Match match = TableHeader().Match(line);
        return match.Success ? match.Groups[1].Value.Replace(" ", string.Empty, StringComparison.Ordinal).Replace("\"", string.Empty, StringComparison.Ordinal) : null;
    }

    private static KeyValuePair<string, string>? KeyValue(string line)
    {
        Match match = KeyLine().Match(line);
        return match.Success ? KeyValuePair.Create(match.Groups[1].Value.Trim('"'), match.Groups[2].Value.Trim()) : null;
    }

    private static IEnumerable<KeyValuePair<string, string>> InlineTable(string line) =>
        InlinePair().Matches(line[(line.IndexOf('{', StringComparison.Ordinal) + 1)..]).Select(m => KeyValuePair.Create(m.Groups[1].Value.Trim('"'), m.Groups[2].Value));

    private static int Depth(string line) => line.Count(c => c == '[') - line.Count(c => c == ']');

    private static string Quote(string value) =>
        "\"" + value.Replace("\\", "\\\\", StringComparison.Ordinal).Replace("\"", "\\\"", StringComparison.Ordinal) + "\"";

    private static string Unquote(string value)
    {
        value = value.Trim();
        if (value.StartsWith('\'') && value.EndsWith('\'') && value.Length >= 2)
        {
            return value[1..^1];
        }

        Match match = BasicString().Match(value);
        return match.Success ? Regex.Unescape(match.Groups[1].Value) : value;
    }

    [GeneratedRegex(@"^\s*\[\[?\s*([^\]#]+?)\s*\]\]?\s*(#.*)?$")]
    private static partial Regex TableHeader();

    [GeneratedRegex(@"^\s*([A-Za-z0-9_-]+|""[^""]*"")\s*=\s*(.*?)\s*$")]
    private static partial Regex KeyLine();

    [GeneratedRegex(@"([A-Za-z0-9_-]+|""[^""]*"")\s*=\s*(""(?:[^""\\]|\\.)*""|'[^']*'|[^,}\s]+)")]
    private static partial Regex InlinePair();

    [GeneratedRegex(@"^""((?:[^""\\]|\\.)*)""")]
    private static partial Regex BasicString();
}
