using System.Text.Json;

namespace Meshfleet.Mcp;

/// <summary>JSON schemas of the tools, written by hand to stay short: every tools/list costs each agent context.</summary>
internal static class ToolSchemas
{
    private const string AgentId = """{"type":"string","pattern":"^[A-Za-z0-9._-]{1,64}$"}""";

    private const string Message = """
        {"type":"object","properties":{"message_id":{"type":"string"},"seq":{"type":"integer"},"from_agent_id":{"type":"string"},"to_agent_id":{"type":"string"},"payload":{"type":"string"},"timestamp":{"type":"integer","description":"Unix ms"},"thread_id":{"type":"string"},"reply_to":{"type":"string"}},"required":["message_id","seq","from_agent_id","to_agent_id","payload","timestamp"]}
        """;

    public static readonly JsonElement SendMessageInput = Parse($$$"""
        {"type":"object","properties":{
        "from_agent_id":{{{AgentId}}},
        "to_agent_id":{{{AgentId}}},
        "payload":{"type":"string","description":"Text; JSON inside the string is fine. Max 256 KiB."},
        "thread_id":{"type":"string","description":"Groups a conversation."},
        "reply_to":{"type":"string","description":"message_id this answers."},
        "idempotency_key":{"type":"string","description":"A retry with the same key returns the first message, never a duplicate."}},
        "required":["from_agent_id","to_agent_id","payload"]}
        """);

    public static readonly JsonElement SendMessageOutput = Parse("""
        {"type":"object","properties":{"message_id":{"type":"string"},"seq":{"type":"integer"},"timestamp":{"type":"integer"}},"required":["message_id","seq","timestamp"]}
        """);

    public static readonly JsonElement GetInboxInput = Parse($$$"""
        {"type":"object","properties":{
        "agent_id":{{{AgentId}}},
        "since":{"type":"integer","minimum":0,"description":"Exclusive cursor: the next_since of your last call."},
        "limit":{"type":"integer","minimum":1,"maximum":1000,"default":100}},
        "required":["agent_id"]}
        """);

    public static readonly JsonElement GetInboxOutput = Parse($$$"""
        {"type":"object","properties":{"messages":{"type":"array","items":{{{Message}}}},"next_since":{"type":"integer"}},"required":["messages","next_since"]}
        """);

    public static readonly JsonElement SubscribeInboxInput = Parse($$$"""
        {"type":"object","properties":{"agent_id":{{{AgentId}}}},"required":["agent_id"]}
        """);

    public static readonly JsonElement SubscribeInboxOutput = Parse("""
        {"type":"object","properties":{"stream_url":{"type":"string"},"agent_id":{"type":"string"},"event":{"type":"string"},"resume_with":{"type":"string"},"heartbeat_seconds":{"type":"integer"}},"required":["stream_url","agent_id"]}
        """);

    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
