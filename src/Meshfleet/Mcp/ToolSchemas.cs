using System.Text.Json;
using System.Text.Json.Nodes;

namespace Meshfleet.Mcp;

/// <summary>JSON schemas of the tools, written by hand to stay short: every tools/list costs each agent context.</summary>
internal static partial class ToolSchemas
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
        "idempotency_key":{"type":"string","description":"A retry with the same key returns the first message, never a duplicate."},
        "requires_ack":{"type":"boolean","description":"Redeliver with backoff until the recipient calls ack_message; dead-letter after the last attempt."},
        "fleet_id":{"type":"string","description":"Instead of to_agent_id: route to the fleet's best online agent."}},
        "required":["from_agent_id","payload"]}
        """);

    public static readonly JsonElement SendMessageOutput = Parse("""
        {"type":"object","properties":{"message_id":{"type":"string"},"seq":{"type":"integer"},"timestamp":{"type":"integer"},"warning":{"type":"string","description":"Set when the recipient is unknown (likely a typo)."},"to_agent_id":{"type":"string"},"score":{"type":"number"},"model":{"type":"string"}},"required":["message_id","seq","timestamp"]}
        """);

    public static readonly JsonElement GetInboxInput = Parse($$$"""
        {"type":"object","properties":{
        "agent_id":{{{AgentId}}},
        "since":{"type":"integer","minimum":0,"description":"Exclusive cursor: the next_since of your last call."},
        "limit":{"type":"integer","minimum":1,"maximum":1000,"default":100},
        "wait_seconds":{"type":"integer","minimum":0,"maximum":300,"description":"If nothing is there, wait up to this long for the first message (long poll; one call waits at most the server's limit, 50 s by default)."}},
        "required":["agent_id"]}
        """);

    public static readonly JsonElement GetInboxOutput = Parse($$$"""
        {"type":"object","properties":{"messages":{"type":"array","items":{{{Message}}}},"next_since":{"type":"integer"},"note":{"type":"string","description":"Why the page is empty (nothing new, or no such agent) and the call to keep waiting."}},"required":["messages","next_since"]}
        """);

    public static readonly JsonElement SubscribeInboxInput = Parse($$$"""
        {"type":"object","properties":{"agent_id":{{{AgentId}}}},"required":["agent_id"]}
        """);

    public static readonly JsonElement SubscribeInboxOutput = Parse("""
        {"type":"object","properties":{"stream_url":{"type":"string"},"agent_id":{"type":"string"},"event":{"type":"string"},"resume_with":{"type":"string"},"heartbeat_seconds":{"type":"integer"}},"required":["stream_url","agent_id"]}
        """);

    private const string Agent = """
        {"type":"object","properties":{"agent_id":{"type":"string"},"name":{"type":"string"},"role":{"type":"string"},"description":{"type":"string"},"fleet_id":{"type":"string"},"status":{"type":"string","enum":["online","offline"]},"last_seen":{"type":"integer"}},"required":["agent_id","status"]}
        """;

    private const string FleetShape = """
        {"type":"object","properties":{"fleet_id":{"type":"string"},"description":{"type":"string"},"request_timeout_seconds":{"type":"integer"},"heartbeat_timeout_seconds":{"type":"integer"},"members":{"type":"array","items":{"type":"string"}}},"required":["fleet_id","members"]}
        """;

    private const string Status = """
        {"type":"object","properties":{"message_id":{"type":"string"},"seq":{"type":"integer"},"from_agent_id":{"type":"string"},"to_agent_id":{"type":"string"},"status":{"type":"string","enum":["stored","pushed","notified","read","acked","dead_lettered"]},"stored_at":{"type":"integer"},"requires_ack":{"type":"boolean"},"pushed_streams":{"type":"integer"},"first_pushed_at":{"type":"integer"},"last_pushed_at":{"type":"integer"},"attempts":{"type":"integer"},"next_attempt_at":{"type":"integer"},"acked_at":{"type":"integer"},"dead_lettered_at":{"type":"integer"},"notified_sessions":{"type":"integer"},"notified_at":{"type":"integer"},"read_at":{"type":"integer"}},"required":["message_id","status","stored_at"]}
        """;

    public static readonly JsonElement AgentIdOnlyInput = SubscribeInboxInput;

    public static readonly JsonElement RegisterAgentInput = Parse($$$"""
        {"type":"object","properties":{"agent_id":{{{AgentId}}},"name":{"type":"string"},"role":{"type":"string","description":"e.g. orchestrator, reviewer"},"description":{"type":"string","description":"What you do, so others can route work to you."},"fleet_id":{{{AgentId}}},"rotate_key":{"type":"boolean","description":"New agent_key (send the current one)."}},"required":["agent_id"]}
        """);

    public static readonly JsonElement AgentOutput = Parse(Agent);

    /// <summary>register_agent's reply: an agent, and its new key when this call made one (agent identity).</summary>
    public static readonly JsonElement RegisteredAgentOutput = Parse(Agent.Replace("\"last_seen\":{\"type\":\"integer\"}}", "\"last_seen\":{\"type\":\"integer\"},\"agent_key\":{\"type\":\"string\"}}", StringComparison.Ordinal));

    public static readonly JsonElement ListAgentsInput = Parse($$$"""
        {"type":"object","properties":{"fleet_id":{{{AgentId}}}}}
        """);

    public static readonly JsonElement ListAgentsOutput = Parse($$$"""
        {"type":"object","properties":{"agents":{"type":"array","items":{{{Agent}}}}},"required":["agents"]}
        """);

    public static readonly JsonElement CreateFleetInput = Parse($$$"""
        {"type":"object","properties":{"fleet_id":{{{AgentId}}},"description":{"type":"string"},"request_timeout_seconds":{"type":"integer","minimum":1,"default":120,"description":"Default ask timeout for members."},"heartbeat_timeout_seconds":{"type":"integer","minimum":1,"default":90,"description":"Silence after which a member counts as offline."}},"required":["fleet_id"]}
        """);

    public static readonly JsonElement FleetOutput = Parse(FleetShape);

    public static readonly JsonElement NoInput = Parse("""{"type":"object","properties":{}}""");

    public static readonly JsonElement ListFleetsOutput = Parse($$$"""
        {"type":"object","properties":{"fleets":{"type":"array","items":{{{FleetShape}}}}},"required":["fleets"]}
        """);

    public static readonly JsonElement BroadcastInput = Parse($$$"""
        {"type":"object","properties":{"from_agent_id":{{{AgentId}}},"fleet_id":{{{AgentId}}},"payload":{"type":"string"}},"required":["from_agent_id","fleet_id","payload"]}
        """);

    public static readonly JsonElement BroadcastOutput = Parse("""
        {"type":"object","properties":{"fleet_id":{"type":"string"},"messages":{"type":"array","items":{"type":"object","properties":{"message_id":{"type":"string"},"seq":{"type":"integer"},"to_agent_id":{"type":"string"},"timestamp":{"type":"integer"}}}}},"required":["fleet_id","messages"]}
        """);

    public static readonly JsonElement MessageRefInput = Parse($$$"""
        {"type":"object","properties":{"agent_id":{{{AgentId}}},"message_id":{"type":"string"}},"required":["agent_id","message_id"]}
        """);

    public static readonly JsonElement MessageIdInput = Parse("""
        {"type":"object","properties":{"message_id":{"type":"string"}},"required":["message_id"]}
        """);

    public static readonly JsonElement StatusOutput = Parse(Status);

    public static readonly JsonElement ReplyInput = Parse($$$"""
        {"type":"object","properties":{"from_agent_id":{{{AgentId}}},"message_id":{"type":"string","description":"The message you answer."},"payload":{"type":"string"}},"required":["from_agent_id","message_id","payload"]}
        """);

    public static readonly JsonElement MessageOutput = Parse(Message);

    public static readonly JsonElement AskInput = Parse($$$"""
        {"type":"object","properties":{"from_agent_id":{{{AgentId}}},"to_agent_id":{{{AgentId}}},"payload":{"type":"string","description":"The question (with to_agent_id)."},"timeout_seconds":{"type":"integer","minimum":1,"maximum":3600,"description":"How long the question waits for its answer, from when it was sent, across calls. Default: the recipient's fleet request timeout (120)."},"message_id":{"type":"string","description":"Instead of to_agent_id and payload: keep waiting for the reply to this question you asked."}},"required":["from_agent_id"]}
        """);

    public static readonly JsonElement AskOutput = Parse($$$"""
        {"type":"object","properties":{"question":{{{Message}}},"reply":{{{Message}}},"status":{"type":"string","enum":["answered","waiting"]},"note":{"type":"string","description":"When waiting: the exact call to keep waiting."}},"required":["question","status"]}
        """);

    /// <summary>
    /// The schema as a process bound to <paramref name="agentId"/> shows it: <c>agent_id</c> / <c>from_agent_id</c> are
    /// optional and say they default to the bound agent, so the model does not have to repeat its own id.
    /// </summary>
    public static JsonElement Bind(JsonElement schema, string agentId)
    {
        JsonObject root = JsonNode.Parse(schema.GetRawText())!.AsObject();
        if (root["properties"] is not JsonObject properties)
        {
            return schema;
        }

        bool changed = false;
        foreach (string name in BoundArguments)
        {
            if (properties[name] is JsonObject property)
            {
                property["description"] = $"Omit it: defaults to you, '{agentId}'.";
                changed = true;
            }
        }

        if (root["required"] is JsonArray required)
        {
            foreach (JsonNode? item in required.Where(i => BoundArguments.Contains(i?.GetValue<string>())).ToList())
            {
                required.Remove(item);
            }
        }

        return changed ? Parse(root.ToJsonString()) : schema;
    }

    /// <summary>The arguments a bound process fills in with its agent id when they are omitted.</summary>
    public static readonly string[] BoundArguments = ["agent_id", "from_agent_id"];

    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
