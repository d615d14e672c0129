using System.Text.Json;

namespace Meshfleet.Mcp;

/// <summary>Schemas of the routing tool.</summary>
internal static partial class ToolSchemas
{
    public static readonly JsonElement FindAgentsInput = Parse($$$"""
        {"type":"object","properties":{"task":{"type":"string"},"fleet_id":{{{AgentId}}},"limit":{"type":"integer","minimum":1,"maximum":100,"default":5},"online_only":{"type":"boolean","default":false}},"required":["task"]}
        """);

    public static readonly JsonElement FindAgentsOutput = Parse("""
        {"type":"object","properties":{"agents":{"type":"array","items":{"type":"object","properties":{"agent_id":{"type":"string"},"name":{"type":"string"},"role":{"type":"string"},"description":{"type":"string"},"fleet_id":{"type":"string"},"status":{"type":"string"},"last_seen":{"type":"integer"},"score":{"type":"number"}},"required":["agent_id","status","score"]}},
        "model":{"type":"string"},"good_match":{"type":"boolean"},"threshold":{"type":"number"},"note":{"type":"string"}},"required":["agents","model","good_match","threshold"]}
        """);
}
