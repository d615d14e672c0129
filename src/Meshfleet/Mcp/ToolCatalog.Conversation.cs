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
            "Send a question and wait for its reply (the recipient answers with reply). One call waits at most " +
            $"{(int)_settings.MaxWait.TotalSeconds} s; if the reply is not there yet you get status \"waiting\" (not an error) and keep waiting " +
            "with {\"message_id\":\"<the question's id>\"}, which does not send it again. Fails at once for an unknown recipient. " +
            "Example: {\"from_agent_id\":\"orchestrator\",\"to_agent_id\":\"reviewer\",\"payload\":\"Is PR 12 safe to merge?\",\"timeout_seconds\":600}",
            ToolSchemas.AskInput,
            ToolSchemas.AskOutput,
            readOnly: false,
            idempotent: false),
        ["from_agent_id", "to_agent_id", "payload", "timeout_seconds", "message_id"],
        async (args, ct) =>
        {
            string? resume = args.String("message_id");
            if (resume is not null && (args.String("to_agent_id") is not null || args.String("payload") is not null))
            {
                throw new MeshInputException("Pass either message_id (keep waiting for the reply to a question you asked) or to_agent_id and payload (ask a new one), not both.");
            }

            Func<CancellationToken, Task<Exchange>> work = c => resume is null
                ? _questions.AskAsync(args.String("from_agent_id"), args.String("to_agent_id"), args.String("payload"), args.Integer("timeout_seconds"), c, _settings.MaxWait).AsTask()
                : _questions.ResumeAsync(args.String("from_agent_id"), resume, args.Integer("timeout_seconds"), c, _settings.MaxWait).AsTask();
            Exchange exchange = args.Progress is { } progress
                ? await progress.WhileAsync(work, _settings.MaxWait, "waiting for the reply", _mesh.Time, ct).ConfigureAwait(false)
                : await work(ct).ConfigureAwait(false);
            return Success(exchange, MeshfleetJsonContext.Default.Exchange);
        });

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
            "Where a message you sent is on its way to the model: stored, pushed (to live streams), notified (client sessions woken), " +
            "read (returned to its recipient by get_inbox or ask), acked or dead_lettered, each with its time. Use it to see why nobody answered.",
            ToolSchemas.MessageIdInput,
            ToolSchemas.StatusOutput,
            readOnly: true,
            idempotent: true),
        ["message_id"],
        async (args, ct) => Success(await _mesh.GetStatusAsync(args.String("message_id"), ct).ConfigureAwait(false), MeshfleetJsonContext.Default.DeliveryStatus));
}
