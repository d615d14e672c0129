using System.Globalization;
using System.Text.Json;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Mcp;

/// <summary>
/// Reads a tool call's arguments, and turns a wrong name or type into an error that says how to call the tool.
/// </summary>
internal sealed class ToolArguments
{
    private readonly IDictionary<string, JsonElement> _values;

    private ToolArguments(IDictionary<string, JsonElement> values)
    {
        _values = values;
    }

    /// <summary>
    /// Wraps the arguments, refusing any name the tool does not take. In a process bound to <paramref name="boundAgentId"/>,
    /// an omitted (or null) <c>agent_id</c> / <c>from_agent_id</c> means that agent.
    /// </summary>
    public static ToolArguments For(string tool, IDictionary<string, JsonElement>? values, IReadOnlyList<string> accepted, string? boundAgentId = null)
    {
        var copy = new Dictionary<string, JsonElement>(StringComparer.Ordinal);
        foreach ((string name, JsonElement value) in values ?? new Dictionary<string, JsonElement>())
        {
            if (!accepted.Contains(name))
            {
                throw new MeshInputException($"{tool} has no argument '{name}'. It takes: {string.Join(", ", accepted)} (snake_case).");
            }

            copy[name] = value;
        }

        if (boundAgentId is not null)
        {
            foreach (string name in ToolSchemas.BoundArguments)
            {
                if (accepted.Contains(name) && (!copy.TryGetValue(name, out JsonElement given) || given.ValueKind == JsonValueKind.Null))
                {
                    // Agent ids are [A-Za-z0-9._-] (checked at start), so the quoted id is valid JSON as it is.
                    copy[name] = JsonElement.Parse($"\"{boundAgentId}\"");
                }
            }
        }

        return new ToolArguments(copy);
    }

    /// <summary>Reports progress to the client during a long wait; null when the client gave no progress token.</summary>
    public WaitProgress? Progress { get; set; }

    /// <summary>The agent the caller proved to be with its key (agent identity on), or null.</summary>
    public string? Caller { get; set; }

    /// <summary>A string argument, or null when absent.</summary>
    public string? String(string name)
    {
        if (!_values.TryGetValue(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind == JsonValueKind.String
            ? value.GetString()
            : throw new MeshInputException($"'{name}' must be a string, but got {Describe(value.ValueKind)}. Put quotes around it (JSON text goes inside a string).");
    }

    /// <summary>An integer argument, or null when absent. A string of digits is accepted too.</summary>
    public long? Integer(string name)
    {
        if (!_values.TryGetValue(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        if (value.ValueKind == JsonValueKind.Number && value.TryGetInt64(out long number))
        {
            return number;
        }

        // Some clients write every number as a double (10.0): accept it when it is whole.
        if (value.ValueKind == JsonValueKind.Number && value.TryGetDouble(out double real) && real == Math.Floor(real) && Math.Abs(real) < 9e15)
        {
            return (long)real;
        }

        if (value.ValueKind == JsonValueKind.String && long.TryParse(value.GetString(), NumberStyles.Integer, CultureInfo.InvariantCulture, out long parsed))
        {
            return parsed;
        }

        throw new MeshInputException($"'{name}' must be a whole number, but got {Describe(value.ValueKind)} {Truncate(value.GetRawText())}.");
    }

    /// <summary>A boolean argument, or null when absent.</summary>
    public bool? Boolean(string name)
    {
        if (!_values.TryGetValue(name, out JsonElement value) || value.ValueKind == JsonValueKind.Null)
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw new MeshInputException($"'{name}' must be true or false, but got {Describe(value.ValueKind)}."),
        };
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Object => "an object",
        JsonValueKind.Array => "an array",
        JsonValueKind.String => "a string",
        JsonValueKind.Number => "a number",
        JsonValueKind.True or JsonValueKind.False => "a boolean",
        _ => "null",
    };

    private static string Truncate(string raw) => raw.Length <= 40 ? raw : raw[..40] + "...";
}
