using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;

namespace Meshfleet.Mcp;

/// <summary>The registry and fleet tools.</summary>
internal sealed partial class ToolCatalog
{
    private MeshTool RegisterAgent() => new(
        Define(
            "register_agent",
            "Register agent",
            "Say who you are: name, role, what you do (description) and your fleet (created if new). Call it once at start; " +
            "calling again updates it. Counts as a heartbeat. With agent identity on, a new agent gets agent_key once: keep it. Example: {\"agent_id\":\"reviewer\",\"role\":\"reviewer\",\"fleet_id\":\"pr-12\"}",
            ToolSchemas.RegisterAgentInput,
            ToolSchemas.RegisteredAgentOutput,
            readOnly: false,
            idempotent: true),
        ["agent_id", "name", "role", "description", "fleet_id", "rotate_key"],
        async (args, ct) =>
        {
            string agent = InputRules.AgentId(args.String("agent_id"), "agent_id");
            bool rotate = args.Boolean("rotate_key") ?? false;
            string? key = await _identity.BeforeRegisterAsync(agent, args.Caller, rotate, ct).ConfigureAwait(false);
            AgentView view = await _registry.RegisterAsync(agent, args.String("name"), args.String("role"), args.String("description"), args.String("fleet_id"), ct).ConfigureAwait(false);
            if (key is not null && !await _identity.StoreKeyAsync(agent, key, rotate, ct).ConfigureAwait(false))
            {
                throw new MeshInputException($"Refused: agent '{agent}' was claimed with a key by another caller a moment ago. Pick another agent_id, or register with that agent's key.");
            }

            RefreshRoutingInBackground();
            return Success(view with { AgentKey = key }, MeshfleetJsonContext.Default.AgentView);
        });

    private MeshTool Heartbeat() => new(
        Define(
            "heartbeat",
            "Heartbeat",
            "Tell the mesh you are alive. You are online while you hold a stream or your last heartbeat is within your fleet's " +
            "heartbeat_timeout_seconds (default 90); call it more often than that when you only poll. Example: {\"agent_id\":\"reviewer\"}",
            ToolSchemas.AgentIdOnlyInput,
            ToolSchemas.AgentOutput,
            readOnly: false,
            idempotent: true),
        ["agent_id"],
        async (args, ct) => Success(await _registry.HeartbeatAsync(args.String("agent_id"), ct).ConfigureAwait(false), MeshfleetJsonContext.Default.AgentView));

    private MeshTool ListAgents() => new(
        Define(
            "list_agents",
            "List agents",
            "Agents with their role, description, fleet, status (online/offline) and last_seen (Unix ms); pass fleet_id to see one fleet. " +
            "Use it to find who can do a task. Example: {\"fleet_id\":\"pr-12\"}",
            ToolSchemas.ListAgentsInput,
            ToolSchemas.ListAgentsOutput,
            readOnly: true,
            idempotent: true),
        ["fleet_id"],
        async (args, ct) => Success(new AgentList(await _registry.ListAgentsAsync(args.String("fleet_id"), ct).ConfigureAwait(false)), MeshfleetJsonContext.Default.AgentList));

    private MeshTool CreateFleet() => new(
        Define(
            "create_fleet",
            "Create fleet",
            "Create (or update) a fleet: a named group such as an orchestrator and its specialists, with its ask timeout and " +
            "heartbeat timeout. Members join with register_agent(fleet_id). Example: {\"fleet_id\":\"pr-12\",\"request_timeout_seconds\":300}",
            ToolSchemas.CreateFleetInput,
            ToolSchemas.FleetOutput,
            readOnly: false,
            idempotent: true),
        ["fleet_id", "description", "request_timeout_seconds", "heartbeat_timeout_seconds"],
        async (args, ct) => Success(
            await _registry.CreateFleetAsync(args.String("fleet_id"), args.String("description"), args.Integer("request_timeout_seconds"), args.Integer("heartbeat_timeout_seconds"), ct).ConfigureAwait(false),
            MeshfleetJsonContext.Default.FleetView));

    private MeshTool ListFleets() => new(
        Define("list_fleets", "List fleets", "Every fleet with its timeouts and member ids.", ToolSchemas.NoInput, ToolSchemas.ListFleetsOutput, readOnly: true, idempotent: true),
        [],
        async (_, ct) => Success(new FleetList(await _registry.ListFleetsAsync(ct).ConfigureAwait(false)), MeshfleetJsonContext.Default.FleetList));

    private MeshTool Broadcast() => new(
        Define(
            "broadcast",
            "Broadcast to fleet",
            "Send one message to every other member of a fleet, each into its own inbox (never back to you). " +
            "Example: {\"from_agent_id\":\"orchestrator\",\"fleet_id\":\"pr-12\",\"payload\":\"Stop: main is red\"}",
            ToolSchemas.BroadcastInput,
            ToolSchemas.BroadcastOutput,
            readOnly: false,
            idempotent: false),
        ["from_agent_id", "fleet_id", "payload"],
        async (args, ct) =>
        {
            BroadcastResult result = await _mesh.BroadcastAsync(args.String("from_agent_id"), args.String("fleet_id"), args.String("payload"), ct).ConfigureAwait(false);
            var receipt = new BroadcastReceipt(result.FleetId, result.Messages.Select(m => new DeliveredReceipt(m.MessageId, m.Seq, m.ToAgentId, m.Timestamp)).ToList());
            return Success(receipt, MeshfleetJsonContext.Default.BroadcastReceipt);
        });
}
