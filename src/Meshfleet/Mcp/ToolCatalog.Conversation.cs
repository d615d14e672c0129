using Meshfleet.Core.Messaging;
using Meshfleet.Json;

namespace Meshfleet.Mcp;

/// <summary>The ask/reply and delivery tools.</summary>
internal sealed partial class ToolCatalog
{
    private MeshTool Ask() => new(
        Define(
            "ask",
            "Ask and wait for the reply",
            "Send a question and wait for its reply in this one call (the recipient answers with reply). On timeout you get an " +
            "error naming the question's message_id; the reply can still arrive in your inbox later. " +
            "Example: {\"from_agent_id\":\"orchestrator\",\"to_agent_id\":\"reviewer\",\"payload\":\"Is PR 12 safe to merge?\",\"timeout_seconds\":120}",
            ToolSchemas.AskInput,
            ToolSchemas.AskOutput,
            readOnly: false,
            idempotent: false),
        ["from_agent_id", "to_agent_id", "payload", "timeout_seconds"],
        async (args, ct) => Success(
            await _questions.AskAsync(args.String("from_agent_id"), args.String("to_agent_id"), args.String("payload"), args.Integer("timeout_seconds"), ct).ConfigureAwait(false),
            MeshfleetJsonContext.Default.Exchange));

    private MeshTool Reply() => new(
        Define(
            "reply",
            "Reply to a message",
            "Answer a message in your inbox: it goes to its sender with reply_to set and the thread kept, and ends their ask. " +
            "Example: {\"from_agent_id\":\"reviewer\",\"message_id\":\"msg_...\",\"payload\":\"Yes, merge it\"}",
            ToolSchemas.ReplyInput,
            ToolSchemas.MessageOutput,
            readOnly: false,
            idempotent: false),
        ["from_agent_id", "message_id", "payload"],
        async (args, ct) => Success(
            await _mesh.ReplyAsync(args.String("from_agent_id"), args.String("message_id"), args.String("payload"), ct).ConfigureAwait(false),
            MeshfleetJsonContext.Default.MeshMessage));

    private MeshTool AckMessage() => new(
        Define(
            "ack_message",
            "Acknowledge a message",
            "Confirm you handled a message sent with requires_ack, which stops its redelivery. Example: {\"agent_id\":\"reviewer\",\"message_id\":\"msg_...\"}",
            ToolSchemas.MessageRefInput,
            ToolSchemas.StatusOutput,
            readOnly: false,
            idempotent: true),
        ["agent_id", "message_id"],
        async (args, ct) => Success(await _mesh.AckAsync(args.String("agent_id"), args.String("message_id"), ct).ConfigureAwait(false), MeshfleetJsonContext.Default.DeliveryStatus));

    private MeshTool GetMessageStatus() => new(
        Define(
            "get_message_status",
            "Delivery status",
            "Where a message you sent is: stored, pushed (to how many streams), acked or dead_lettered, with times. Use it to see why nobody answered.",
            ToolSchemas.MessageIdInput,
            ToolSchemas.StatusOutput,
            readOnly: true,
            idempotent: true),
        ["message_id"],
        async (args, ct) => Success(await _mesh.GetStatusAsync(args.String("message_id"), ct).ConfigureAwait(false), MeshfleetJsonContext.Default.DeliveryStatus));
}
