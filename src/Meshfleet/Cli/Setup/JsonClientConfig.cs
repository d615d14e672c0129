using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshfleet.Cli.Setup;

/// <summary>
/// Edits the JSON configs of Claude Code, OpenCode and Gemini CLI with JSON nodes (no reflection, so AOT-safe): only the
/// meshfleet entry (and, for Gemini, meshfleet's own hooks) changes; every other key keeps its value and its place.
/// </summary>
internal static class JsonClientConfig
{
    /// <summary>The server's name in every client's config (Claude Code's channel flag names it: server:meshfleet).</summary>
    public const string ServerName = "meshfleet";

    /// <summary>The name meshfleet's Gemini CLI hooks carry, so a re-run replaces them and leaves the user's own.</summary>
    public const string HookName = "meshfleet-inbox";

    private static readonly string[] GeminiHookEvents = ["BeforeAgent", "AfterTool", "AfterAgent"];

    private static readonly JsonDocumentOptions Lenient = new() { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true };

    /// <summary>The config with the meshfleet entry written into it, and what changed (for --dry-run and the summary).</summary>
    public static (string Text, string Changed) Apply(ClientProfile client, string? existing, ServerEntry entry)
    {
        JsonObject root = Parse(client, existing) ?? NewRoot(client);
        JsonObject servers = Child(root, ContainerKey(client));
        JsonObject server = servers[ServerName] as JsonObject ?? [];
        servers[ServerName] = server;
        WriteServer(client, server, entry);
        var changed = new JsonObject { [ContainerKey(client)] = new JsonObject { [ServerName] = server.DeepClone() } };
        if (client == ClientProfile.Gemini && entry.AgentId is not null)
        {
            JsonObject hooks = Child(root, "hooks");
            WriteGeminiHooks(hooks, entry);
            changed["hooks"] = hooks.DeepClone();
        }

        return (Serialize(root), Serialize(changed));
    }

    /// <summary>The meshfleet entry in <paramref name="text"/>, or null when there is none.</summary>
    public static ConfiguredServer? Read(ClientProfile client, string text)
    {
        JsonObject? root = Parse(client, text);
        if (root?[ContainerKey(client)]?[ServerName] is not JsonObject server)
        {
            return null;
        }

        string? command = server["command"] switch
        {
            JsonArray array when array.Count > 0 => array[0]?.GetValueKind() == JsonValueKind.String ? array[0]!.GetValue<string>() : null,
            JsonValue value when value.GetValueKind() == JsonValueKind.String => value.GetValue<string>(),
            _ => null,
        };
        double? timeout = server["timeout"] is JsonValue t && t.GetValueKind() == JsonValueKind.Number ? t.GetValue<double>() / 1000 : null;
        JsonNode? environment = server[client == ClientProfile.OpenCode ? "environment" : "env"];
        return new ConfiguredServer(command, timeout, StringOf(environment?["MESHFLEET_AGENT_ID"]), StringOf(environment?[ServerEntry.AgentKeyVariable]));
    }

    private static string? StringOf(JsonNode? node) => node is JsonValue value && value.GetValueKind() == JsonValueKind.String ? value.GetValue<string>() : null;

    private static string ContainerKey(ClientProfile client) => client == ClientProfile.OpenCode ? "mcp" : "mcpServers";

    private static JsonObject NewRoot(ClientProfile client) =>
        client == ClientProfile.OpenCode ? new JsonObject { ["$schema"] = "https://opencode.ai/config.json" } : [];

    private static JsonObject? Parse(ClientProfile client, string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        try
        {
            return JsonNode.Parse(text, documentOptions: Lenient) as JsonObject
                ?? throw new SetupException($"the {client.DisplayName} config is not a JSON object; fix or move it, then run setup again");
        }
        catch (JsonException ex)
        {
            throw new SetupException($"the {client.DisplayName} config is not valid JSON ({ex.Message}); fix it (meshfleet never overwrites a config it cannot read), then run setup again");
        }
    }

    private static JsonObject Child(JsonObject parent, string key)
    {
        if (parent[key] is JsonObject existing)
        {
            return existing;
        }

        if (parent[key] is not null)
        {
            throw new SetupException($"'{key}' in the config is not a JSON object; fix it by hand, then run setup again");
        }

        var created = new JsonObject();
        parent[key] = created;
        return created;
    }

    private static void WriteServer(ClientProfile client, JsonObject server, ServerEntry entry)
    {
        long timeoutMs = entry.ToolTimeoutSeconds * 1000L;
        if (client == ClientProfile.OpenCode)
        {
            server["type"] = "local";
            server["command"] = new JsonArray(entry.Command);
            WriteEnvironment(Child(server, "environment"), server, "environment", entry);
            server["enabled"] = true;
            server["timeout"] = timeoutMs;
            return;
        }

        if (client == ClientProfile.Claude)
        {
            server["type"] = "stdio";
        }

        server["command"] = entry.Command;
        server["args"] = new JsonArray();
        WriteEnvironment(Child(server, "env"), server, "env", entry);
        if (client == ClientProfile.Gemini)
        {
            server["timeout"] = timeoutMs;

            // Trusted: an agent that must ask its user before every send or inbox check cannot work unattended.
            server["trust"] = true;
        }
    }

    private static void WriteEnvironment(JsonObject environment, JsonObject server, string key, ServerEntry entry)
    {
        // A key belongs to its agent: it goes when the binding goes or changes (setup writes the new agent's key, if any).
        string? previous = environment["MESHFLEET_AGENT_ID"] is JsonValue a && a.GetValueKind() == JsonValueKind.String ? a.GetValue<string>() : null;
        if (entry.AgentId is null || entry.AgentId != previous)
        {
            environment.Remove(ServerEntry.AgentKeyVariable);
        }

        if (entry.AgentId is null)
        {
            environment.Remove("MESHFLEET_AGENT_ID");
        }

        foreach ((string name, string value) in entry.Environment)
        {
            environment[name] = value;
        }

        if (environment.Count == 0)
        {
            server.Remove(key);
        }
    }

    private static void WriteGeminiHooks(JsonObject hooks, ServerEntry entry)
    {
        foreach (string hookEvent in GeminiHookEvents)
        {
            if (hooks[hookEvent] is not JsonArray groups)
            {
                if (hooks[hookEvent] is not null)
                {
                    throw new SetupException($"hooks.{hookEvent} in the Gemini CLI settings is not a list; fix it by hand, then run setup again");
                }

                groups = [];
                hooks[hookEvent] = groups;
            }

            for (int i = groups.Count - 1; i >= 0; i--)
            {
                if (groups[i]?["hooks"] is JsonArray inner && inner.Any(h => h?["name"] is JsonValue n && n.GetValueKind() == JsonValueKind.String && n.GetValue<string>() == HookName))
                {
                    groups.RemoveAt(i);
                }
            }

            string command = $"MESHFLEET_AGENT_ID={ShellQuote(entry.AgentId!)} {ShellQuote(entry.Command)} inbox --hook {hookEvent} --cursor gemini";
            var hook = new JsonObject { ["type"] = "command", ["name"] = HookName, ["command"] = command, ["timeout"] = 10000 };
            var group = new JsonObject();
            if (hookEvent == "AfterTool")
            {
                group["matcher"] = ".*";
            }

            group["hooks"] = new JsonArray(hook);
            groups.Add((JsonNode)group);
        }
    }

    private static string ShellQuote(string value) =>
        value.All(c => char.IsAsciiLetterOrDigit(c) || c is '/' or '.' or '_' or '-') ? value : "'" + value.Replace("'", "'\\''", StringComparison.Ordinal) + "'";

    private static string Serialize(JsonNode node)
    {
        using var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            node.WriteTo(writer);
        }

        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }
}
