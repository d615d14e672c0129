using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Meshfleet.Json;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Mcp;

/// <summary>Routing: rank agents for a task, and hand a task to the best online agent of a fleet.</summary>
internal sealed partial class ToolCatalog
{
    private MeshTool FindAgents() => new(
        Define(
            "find_agents",
            "Find agents for a task",
            "Rank agents for a task by their registered text (local model): score 0-1, best first; good_match is false when " +
            "none fits well. Example: {\"task\":\"review the SQL migration in PR 12\",\"fleet_id\":\"pr-12\"}",
            ToolSchemas.FindAgentsInput,
            ToolSchemas.FindAgentsOutput,
            readOnly: true,
            idempotent: true),
        ["task", "fleet_id", "limit", "online_only"],
        async (args, ct) => Success(
            await _router.FindAsync(args.String("task"), args.String("fleet_id"), args.Integer("limit"), args.Boolean("online_only") ?? false, ct).ConfigureAwait(false),
            MeshfleetJsonContext.Default.RoutingResult));

    /// <summary>send_message with a fleet instead of a recipient: the payload is the task, the best online agent gets it.</summary>
    private async ValueTask<CallToolResult> SendRoutedAsync(ToolArguments args, CancellationToken cancellationToken)
    {
        if (args.String("to_agent_id") is not null)
        {
            throw new MeshInputException("Give either to_agent_id (send to that agent) or fleet_id (route to the fleet's best online agent for the payload), not both.");
        }

        string from = InputRules.AgentId(args.String("from_agent_id"), "from_agent_id");
        RankedAgent chosen = await _router.ChooseAsync(args.String("payload"), args.String("fleet_id"), from, cancellationToken).ConfigureAwait(false);
        AppendResult result = await _mesh.SendAsync(
            from,
            chosen.AgentId,
            args.String("payload"),
            args.String("thread_id"),
            args.String("reply_to"),
            args.String("idempotency_key"),
            cancellationToken,
            args.Boolean("requires_ack") ?? false).ConfigureAwait(false);
        MeshMessage message = result.Message;
        await _router.RecordHandOffAsync(message.MessageId, from, args.String("fleet_id"), chosen, cancellationToken).ConfigureAwait(false);
        return Success(
            new RoutedReceipt(message.MessageId, message.Seq, message.Timestamp, message.ToAgentId, chosen.Score, _router.Model),
            MeshfleetJsonContext.Default.RoutedReceipt);
    }

    /// <summary>
    /// After a registration changes an agent's text, refresh the stored vectors now if this process already has the model
    /// loaded (milliseconds); otherwise the next routing call does it, so registering never loads the model.
    /// </summary>
    private void RefreshRoutingInBackground()
    {
        if (!_router.IsModelLoaded)
        {
            return;
        }

        _ = Task.Run(async () =>
        {
            try
            {
                await _router.RefreshAsync(CancellationToken.None).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                LogRoutingRefreshFailed(_logger, ex);
            }
        });
    }

    [Microsoft.Extensions.Logging.LoggerMessage(Level = Microsoft.Extensions.Logging.LogLevel.Warning, Message = "Refreshing routing vectors failed; the next routing call retries")]
    private static partial void LogRoutingRefreshFailed(Microsoft.Extensions.Logging.ILogger logger, Exception exception);
}
