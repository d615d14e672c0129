using Meshfleet.Core.Agents;
using Microsoft.Data.Sqlite;
using static Meshfleet.Storage.Sqlite.SqliteRows;

namespace Meshfleet.Storage.Sqlite;

/// <summary>The agent directory role: agents, fleets and presence facts, in the same SQLite file as the message log.</summary>
public sealed class SqliteAgentDirectory : IAgentDirectory
{
    private const string AgentColumns = "agent_id, name, role, description, fleet_id, registered_at, heartbeat_at, streams, streams_seen_at, offline_reported_at";
    private readonly SqliteMessageStore _store;

    public SqliteAgentDirectory(SqliteMessageStore store)
    {
        _store = store;
    }

    public ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, $"""
                    INSERT INTO agents (agent_id, name, role, description, fleet_id, registered_at, heartbeat_at)
                    VALUES ($id, $name, $role, $description, $fleet, $now, $now)
                    ON CONFLICT (agent_id) DO UPDATE SET
                        name = COALESCE($name, name), role = COALESCE($role, role), description = COALESCE($description, description),
                        fleet_id = COALESCE($fleet, fleet_id), heartbeat_at = $now, offline_reported_at = NULL
                    RETURNING {AgentColumns}
                    """);
                command.Parameters.AddWithValue("$id", profile.AgentId);
                command.Parameters.AddWithValue("$name", (object?)profile.Name ?? DBNull.Value);
                command.Parameters.AddWithValue("$role", (object?)profile.Role ?? DBNull.Value);
                command.Parameters.AddWithValue("$description", (object?)profile.Description ?? DBNull.Value);
                command.Parameters.AddWithValue("$fleet", (object?)profile.FleetId ?? DBNull.Value);
                command.Parameters.AddWithValue("$now", now);
                using SqliteDataReader reader = command.ExecuteReader();
                reader.Read();
                return ReadAgent(reader);
            },
            cancellationToken);

    public async ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO agents (agent_id, registered_at, heartbeat_at) VALUES ($id, $now, $now)
                    ON CONFLICT (agent_id) DO UPDATE SET heartbeat_at = $now
                    """);
                command.Parameters.AddWithValue("$id", agentId);
                command.Parameters.AddWithValue("$now", now);
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken)
    {
        if (streams.Count == 0)
        {
            return;
        }

        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO agents (agent_id, registered_at, streams, streams_seen_at) VALUES ($id, $now, $streams, $now)
                    ON CONFLICT (agent_id) DO UPDATE SET streams = $streams, streams_seen_at = $now
                    """);
                SqliteParameter id = command.Parameters.Add("$id", SqliteType.Text);
                SqliteParameter count = command.Parameters.Add("$streams", SqliteType.Integer);
                command.Parameters.AddWithValue("$now", now);
                foreach ((string agentId, int open) in streams)
                {
                    id.Value = agentId;
                    count.Value = open;
                    command.ExecuteNonQuery();
                }

                return streams.Count;
            },
            cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, "UPDATE agents SET offline_reported_at = $at WHERE agent_id = $id");
                command.Parameters.AddWithValue("$id", agentId);
                command.Parameters.AddWithValue("$at", (object?)at ?? DBNull.Value);
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken)
    {
        List<AgentRow> rows = await _store.ReadAsync($"SELECT {AgentColumns} FROM agents WHERE agent_id = $id", c => c.Parameters.AddWithValue("$id", agentId), ReadAgent, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken) =>
        await _store.ReadAsync(
            fleetId is null ? $"SELECT {AgentColumns} FROM agents ORDER BY agent_id" : $"SELECT {AgentColumns} FROM agents WHERE fleet_id = $fleet ORDER BY agent_id",
            c =>
            {
                if (fleetId is not null)
                {
                    c.Parameters.AddWithValue("$fleet", fleetId);
                }
            },
            ReadAgent,
            cancellationToken).ConfigureAwait(false);

    public ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO fleets (fleet_id, description, request_timeout_seconds, heartbeat_timeout_seconds)
                    VALUES ($id, $description, COALESCE($request, $defaultRequest), COALESCE($heartbeat, $defaultHeartbeat))
                    ON CONFLICT (fleet_id) DO UPDATE SET
                        description = COALESCE($description, description),
                        request_timeout_seconds = COALESCE($request, request_timeout_seconds),
                        heartbeat_timeout_seconds = COALESCE($heartbeat, heartbeat_timeout_seconds)
                    RETURNING fleet_id, description, request_timeout_seconds, heartbeat_timeout_seconds
                    """);
                command.Parameters.AddWithValue("$id", fleetId);
                command.Parameters.AddWithValue("$description", (object?)description ?? DBNull.Value);
                command.Parameters.AddWithValue("$request", (object?)requestTimeoutSeconds ?? DBNull.Value);
                command.Parameters.AddWithValue("$heartbeat", (object?)heartbeatTimeoutSeconds ?? DBNull.Value);
                command.Parameters.AddWithValue("$defaultRequest", Fleet.DefaultRequestTimeoutSeconds);
                command.Parameters.AddWithValue("$defaultHeartbeat", Fleet.DefaultHeartbeatTimeoutSeconds);
                using SqliteDataReader reader = command.ExecuteReader();
                reader.Read();
                return ReadFleet(reader);
            },
            cancellationToken);

    public async ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken)
    {
        List<Fleet> rows = await _store.ReadAsync(
            "SELECT fleet_id, description, request_timeout_seconds, heartbeat_timeout_seconds FROM fleets WHERE fleet_id = $id",
            c => c.Parameters.AddWithValue("$id", fleetId),
            ReadFleet,
            cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken) =>
        await _store.ReadAsync(
            "SELECT fleet_id, description, request_timeout_seconds, heartbeat_timeout_seconds FROM fleets ORDER BY fleet_id",
            _ => { },
            ReadFleet,
            cancellationToken).ConfigureAwait(false);

    public ValueTask<int> ImportAgentsAsync(IReadOnlyList<AgentRow> agents, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, $"""
                    INSERT INTO agents ({AgentColumns})
                    VALUES ($id, $name, $role, $description, $fleet, $registered, $heartbeat, $streams, $streamsSeen, $offline)
                    ON CONFLICT (agent_id) DO NOTHING
                    """);
                int added = 0;
                foreach (AgentRow agent in agents)
                {
                    command.Parameters.Clear();
                    command.Parameters.AddWithValue("$id", agent.Profile.AgentId);
                    command.Parameters.AddWithValue("$name", (object?)agent.Profile.Name ?? DBNull.Value);
                    command.Parameters.AddWithValue("$role", (object?)agent.Profile.Role ?? DBNull.Value);
                    command.Parameters.AddWithValue("$description", (object?)agent.Profile.Description ?? DBNull.Value);
                    command.Parameters.AddWithValue("$fleet", (object?)agent.Profile.FleetId ?? DBNull.Value);
                    command.Parameters.AddWithValue("$registered", agent.RegisteredAt);
                    command.Parameters.AddWithValue("$heartbeat", (object?)agent.HeartbeatAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$streams", agent.Streams);
                    command.Parameters.AddWithValue("$streamsSeen", (object?)agent.StreamsSeenAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$offline", (object?)agent.OfflineReportedAt ?? DBNull.Value);
                    added += command.ExecuteNonQuery();
                }

                return added;
            },
            cancellationToken);

    private static AgentRow ReadAgent(SqliteDataReader r) => new(
        new AgentProfile(r.GetString(0), Text(r, 1), Text(r, 2), Text(r, 3), Text(r, 4)),
        RegisteredAt: r.GetInt64(5),
        HeartbeatAt: Long(r, 6),
        Streams: r.GetInt32(7),
        StreamsSeenAt: Long(r, 8),
        OfflineReportedAt: Long(r, 9));

    private static Fleet ReadFleet(SqliteDataReader r) => new(r.GetString(0), Text(r, 1), r.GetInt32(2), r.GetInt32(3));
}
