namespace Meshfleet.Core.Agents;

/// <summary>
/// The agent directory, one of the three storage roles: agents, fleets and the presence facts the registry turns into a
/// status. The same role also keeps agents' key hashes (<see cref="IAgentKeyStore"/>) and what routing stores about
/// agents (<see cref="Routing.IEmbeddingStore"/>, <see cref="Routing.IRouteLog"/>), as separate small interfaces.
/// Every backend keeps it beside its <see cref="Storage.IMessageLog"/>, so a restart loses none of it.
/// </summary>
public interface IAgentDirectory
{
    ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken);

    /// <summary>Records a heartbeat, creating a bare agent row when the agent never registered.</summary>
    ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken);

    /// <summary>Replaces the stream counts of the given agents (0 clears), stamping them as seen now.</summary>
    ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken);

    /// <summary>Marks that the agent's going offline was announced (null: it is back online).</summary>
    ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken);

    ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken);

    /// <summary>Every agent (of one fleet, when given), ordered by agent id.</summary>
    ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken);

    /// <summary>Creates a fleet or updates the given fields of it; null fields keep their value (defaults on creation).</summary>
    ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken);

    ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken);

    /// <summary>Every fleet, ordered by fleet id.</summary>
    ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken);

    /// <summary>
    /// Stores agents as exported, with their registration time and presence facts (export/import); an agent id already in
    /// the directory keeps what it has. Returns how many were added.
    /// </summary>
    ValueTask<int> ImportAgentsAsync(IReadOnlyList<AgentRow> agents, CancellationToken cancellationToken);
}
