using Meshfleet.Core.Agents;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// Agents, fleets and presence facts in key-value buckets beside the mesh's stream: one key per agent or fleet, every
/// change a compare-and-set on the key's revision (see <see cref="NatsBucket.MutateAsync"/>). Lists read every key of
/// their bucket; they serve the dashboard and the once-a-second sweeps, not the send path.
/// </summary>
public sealed class NatsAgentDirectory : IAgentDirectory
{
    private readonly NatsMesh _mesh;

    public NatsAgentDirectory(NatsMesh mesh)
    {
        _mesh = mesh;
    }

    public async ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken) =>
        (await _mesh.Agents.MutateAsync(
            NatsNames.Token(profile.AgentId),
            NatsStoreJsonContext.Default.AgentRow,
            row => row is null
                ? new AgentRow(profile, now, now, 0, null, null)
                : row with
                {
                    Profile = new AgentProfile(
                        profile.AgentId,
                        profile.Name ?? row.Profile.Name,
                        profile.Role ?? row.Profile.Role,
                        profile.Description ?? row.Profile.Description,
                        profile.FleetId ?? row.Profile.FleetId),
                    HeartbeatAt = now,
                    OfflineReportedAt = null,
                },
            cancellationToken).ConfigureAwait(false))!;

    public async ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken) =>
        await _mesh.Agents.MutateAsync(
            NatsNames.Token(agentId),
            NatsStoreJsonContext.Default.AgentRow,
            row => row is null ? new AgentRow(Bare(agentId), now, now, 0, null, null) : row with { HeartbeatAt = now },
            cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    /// <remarks>
    /// Each serving process reports the streams it holds every second; when two processes hold streams of one agent, the
    /// last report wins until the next, which is enough for presence (it asks "any stream seen lately").
    /// </remarks>
    public async ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken)
    {
        foreach ((string agentId, int open) in streams)
        {
            await _mesh.Agents.MutateAsync(
                NatsNames.Token(agentId),
                NatsStoreJsonContext.Default.AgentRow,
                row => row is null
                    ? new AgentRow(Bare(agentId), now, null, open, now, null)
                    : row with { Streams = open, StreamsSeenAt = now },
                cancellationToken).ConfigureAwait(false);
        }
    }

    public async ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken) =>
        await _mesh.Agents.MutateAsync(
            NatsNames.Token(agentId),
            NatsStoreJsonContext.Default.AgentRow,
            row => row is null || row.OfflineReportedAt == at ? row : row with { OfflineReportedAt = at },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken) =>
        (await _mesh.Agents.GetAsync(NatsNames.Token(agentId), NatsStoreJsonContext.Default.AgentRow, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken)
    {
        var agents = new List<AgentRow>();
        await foreach (string key in _mesh.Agents.KeysAsync(null, cancellationToken).ConfigureAwait(false))
        {
            AgentRow? row = (await _mesh.Agents.GetAsync(key, NatsStoreJsonContext.Default.AgentRow, cancellationToken).ConfigureAwait(false)).Value;
            if (row is not null && (fleetId is null || row.Profile.FleetId == fleetId))
            {
                agents.Add(row);
            }
        }

        agents.Sort((a, b) => string.CompareOrdinal(a.Profile.AgentId, b.Profile.AgentId));
        return agents;
    }

    public async ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken) =>
        (await _mesh.Fleets.MutateAsync(
            NatsNames.Token(fleetId),
            NatsStoreJsonContext.Default.Fleet,
            fleet => fleet is null
                ? new Fleet(fleetId, description, requestTimeoutSeconds ?? Fleet.DefaultRequestTimeoutSeconds, heartbeatTimeoutSeconds ?? Fleet.DefaultHeartbeatTimeoutSeconds)
                : fleet with
                {
                    Description = description ?? fleet.Description,
                    RequestTimeoutSeconds = requestTimeoutSeconds ?? fleet.RequestTimeoutSeconds,
                    HeartbeatTimeoutSeconds = heartbeatTimeoutSeconds ?? fleet.HeartbeatTimeoutSeconds,
                },
            cancellationToken).ConfigureAwait(false))!;

    public async ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken) =>
        (await _mesh.Fleets.GetAsync(NatsNames.Token(fleetId), NatsStoreJsonContext.Default.Fleet, cancellationToken).ConfigureAwait(false)).Value;

    public async ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken)
    {
        var fleets = new List<Fleet>();
        await foreach (string key in _mesh.Fleets.KeysAsync(null, cancellationToken).ConfigureAwait(false))
        {
            if ((await _mesh.Fleets.GetAsync(key, NatsStoreJsonContext.Default.Fleet, cancellationToken).ConfigureAwait(false)).Value is { } fleet)
            {
                fleets.Add(fleet);
            }
        }

        fleets.Sort((a, b) => string.CompareOrdinal(a.FleetId, b.FleetId));
        return fleets;
    }

    private static AgentProfile Bare(string agentId) => new(agentId, null, null, null, null);
}
