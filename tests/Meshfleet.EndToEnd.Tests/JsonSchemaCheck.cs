using System.Text.Json;
using System.Text.RegularExpressions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Checks a JSON value against the subset of JSON Schema that Meshfleet's tool schemas use: <c>type</c> (one name or a
/// list, <c>"null"</c> included), <c>properties</c>, <c>required</c>, <c>items</c>, <c>enum</c>, <c>additionalProperties</c>,
/// <c>minimum</c>, <c>maximum</c> and <c>pattern</c>. A keyword outside that subset is reported as a violation, so a schema
/// cannot pass by using a constraint this check would silently skip. With <c>closed</c>, an object property the schema
/// does not declare is a violation even where the schema leaves <c>additionalProperties</c> open.
/// </summary>
internal static class JsonSchemaCheck
{
    private static readonly HashSet<string> Supported =
        ["type", "properties", "required", "items", "enum", "additionalProperties", "minimum", "maximum", "pattern", "description", "default"];

    /// <summary>Every way <paramref name="value"/> breaks <paramref name="schema"/>, each with its JSON path; empty when it conforms.</summary>
    public static IReadOnlyList<string> Violations(JsonElement schema, JsonElement value, bool closed)
    {
        var found = new List<string>();
        Check(schema, value, "$", closed, found);
        return found;
    }

    private static void Check(JsonElement schema, JsonElement value, string path, bool closed, List<string> found)
    {
        if (schema.ValueKind == JsonValueKind.True)
        {
            return;
        }

        if (schema.ValueKind != JsonValueKind.Object)
        {
            found.Add($"{path}: the schema is {schema.ValueKind}, not an object or true");
            return;
        }

        foreach (JsonProperty keyword in schema.EnumerateObject().Where(k => !Supported.Contains(k.Name)))
        {
            found.Add($"{path}: schema keyword '{keyword.Name}' is not supported by this check");
        }

        if (schema.TryGetProperty("type", out JsonElement type))
        {
            string[] allowed = type.ValueKind == JsonValueKind.Array ? [.. type.EnumerateArray().Select(t => t.GetString()!)] : [type.GetString()!];
            if (!allowed.Any(name => HasType(value, name)))
            {
                found.Add($"{path}: {value.ValueKind} {Excerpt(value)} is not of type {string.Join(" or ", allowed)}");
                return;
            }
        }

        if (schema.TryGetProperty("enum", out JsonElement choices) && !choices.EnumerateArray().Any(c => JsonElement.DeepEquals(c, value)))
        {
            found.Add($"{path}: {Excerpt(value)} is not one of {choices.GetRawText()}");
        }

        switch (value.ValueKind)
        {
            case JsonValueKind.Number:
                CheckRange(schema, value.GetDouble(), path, found);
                break;
            case JsonValueKind.String when schema.TryGetProperty("pattern", out JsonElement pattern) && !Regex.IsMatch(value.GetString()!, pattern.GetString()!, RegexOptions.None, TimeSpan.FromSeconds(1)):
                found.Add($"{path}: {Excerpt(value)} does not match {pattern.GetString()}");
                break;
            case JsonValueKind.Object:
                CheckObject(schema, value, path, closed, found);
                break;
            case JsonValueKind.Array when schema.TryGetProperty("items", out JsonElement items):
                int index = 0;
                foreach (JsonElement item in value.EnumerateArray())
                {
                    Check(items, item, $"{path}[{index++}]", closed, found);
                }

                break;
        }
    }

    private static void CheckObject(JsonElement schema, JsonElement value, string path, bool closed, List<string> found)
    {
        bool hasProperties = schema.TryGetProperty("properties", out JsonElement properties);
        if (schema.TryGetProperty("required", out JsonElement required))
        {
            foreach (string name in required.EnumerateArray().Select(r => r.GetString()!))
            {
                if (!hasProperties || !properties.TryGetProperty(name, out _))
                {
                    found.Add($"{path}: the schema requires '{name}' but does not declare it in properties");
                }

                if (!value.TryGetProperty(name, out _))
                {
                    found.Add($"{path}: required property '{name}' is missing");
                }
            }
        }

        bool hasAdditional = schema.TryGetProperty("additionalProperties", out JsonElement additional);
        foreach (JsonProperty property in value.EnumerateObject())
        {
            string at = $"{path}.{property.Name}";
            if (hasProperties && properties.TryGetProperty(property.Name, out JsonElement declared))
            {
                Check(declared, property.Value, at, closed, found);
            }
            else if (hasAdditional && additional.ValueKind == JsonValueKind.False)
            {
                found.Add($"{at}: not declared, and the schema has additionalProperties: false");
            }
            else if (hasAdditional && additional.ValueKind == JsonValueKind.Object)
            {
                Check(additional, property.Value, at, closed, found);
            }
            else if (closed)
            {
                found.Add($"{at}: returned ({Excerpt(property.Value)}) but not declared in the schema's properties");
            }
        }
    }

    private static void CheckRange(JsonElement schema, double number, string path, List<string> found)
    {
        if (schema.TryGetProperty("minimum", out JsonElement minimum) && number < minimum.GetDouble())
        {
            found.Add($"{path}: {number} is below the minimum {minimum.GetDouble()}");
        }

        if (schema.TryGetProperty("maximum", out JsonElement maximum) && number > maximum.GetDouble())
        {
            found.Add($"{path}: {number} is above the maximum {maximum.GetDouble()}");
        }
    }

    private static bool HasType(JsonElement value, string name) => name switch
    {
        "null" => value.ValueKind == JsonValueKind.Null,
        "boolean" => value.ValueKind is JsonValueKind.True or JsonValueKind.False,
        "string" => value.ValueKind == JsonValueKind.String,
        "number" => value.ValueKind == JsonValueKind.Number,
        "integer" => value.ValueKind == JsonValueKind.Number && value.TryGetDecimal(out decimal d) && d == decimal.Truncate(d),
        "object" => value.ValueKind == JsonValueKind.Object,
        "array" => value.ValueKind == JsonValueKind.Array,
        _ => throw new ArgumentException($"unknown JSON Schema type '{name}'", nameof(name)),
    };

    private static string Excerpt(JsonElement value)
    {
        string raw = value.GetRawText();
        return raw.Length <= 60 ? raw : raw[..57] + "...";
    }
}
