using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Agents;

/// <summary>
/// The durable half of the mesh beside the ledger: agents, fleets, presence facts and delivery state.
/// Every backend keeps it next to its <see cref="Storage.IMessageStore"/>, so a restart loses none of it.
/// </summary>
public interface IRegistryStore
{
    ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken);

    /// <summary>Records a heartbeat, creating a bare agent row when the agent never registered.</summary>
    ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken);

    /// <summary>Replaces the stream counts of the given agents (0 clears), stamping them as seen now.</summary>
    ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken);

    /// <summary>Marks that the agent's going offline was announced (null: it is back online).</summary>
    ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken);

    ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken);

    ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken);

    ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken);

    /// <summary>Adds pushes in one write.</summary>
    ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken);

    /// <summary>Marks a message acked; false when it is unknown, not addressed to the agent, or not awaiting an ack.</summary>
    ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken);

    ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken);

    ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken);

    /// <summary>Records that a client session was woken with the message (one more notified session).</summary>
    ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken);

    /// <summary>Records the first time each message was returned to its recipient (get_inbox, long poll, ask).</summary>
    ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken);

    /// <summary>
    /// The agent's messages up to <paramref name="throughSeq"/>, stored at or after <paramref name="fromTimestamp"/>, that no
    /// session was woken with and nobody read yet, oldest first: what a newly bound session is told about.
    /// </summary>
    ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken);

    ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken);
}
