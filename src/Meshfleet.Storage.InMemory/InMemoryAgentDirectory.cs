using Meshfleet.Core.Agents;

namespace Meshfleet.Storage.InMemory;

/// <summary>The agent directory role of an in-memory store, with the same upsert rules as the SQLite one.</summary>
internal sealed class InMemoryAgentDirectory : IAgentDirectory
{
    private readonly InMemoryState _state;

    public InMemoryAgentDirectory(InMemoryState state)
    {
        _state = state;
    }

    public ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            AgentRow row = _state.Agents.TryGetValue(profile.AgentId, out AgentRow? known)
                ? known with
                {
                    Profile = new AgentProfile(
                        profile.AgentId,
                        profile.Name ?? known.Profile.Name,
                        profile.Role ?? known.Profile.Role,
                        profile.Description ?? known.Profile.Description,
                        profile.FleetId ?? known.Profile.FleetId),
                    HeartbeatAt = now,
                    OfflineReportedAt = null,
                }
                : new AgentRow(profile, RegisteredAt: now, HeartbeatAt: now, Streams: 0, StreamsSeenAt: null, OfflineReportedAt: null);
            _state.Agents[profile.AgentId] = row;
            return ValueTask.FromResult(row);
        }
    }

    public ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            _state.Agents[agentId] = _state.Agents.TryGetValue(agentId, out AgentRow? known)
                ? known with { HeartbeatAt = now }
                : Bare(agentId, now) with { HeartbeatAt = now };
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            foreach ((string agentId, int open) in streams)
            {
                AgentRow row = _state.Agents.TryGetValue(agentId, out AgentRow? known) ? known : Bare(agentId, now);
                _state.Agents[agentId] = row with { Streams = open, StreamsSeenAt = now };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            if (_state.Agents.TryGetValue(agentId, out AgentRow? known))
            {
                _state.Agents[agentId] = known with { OfflineReportedAt = at };
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Agents.GetValueOrDefault(agentId));
        }
    }

    public ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<AgentRow>>(_state.Agents.Values
                .Where(a => fleetId is null || string.Equals(a.Profile.FleetId, fleetId, StringComparison.Ordinal))
                .ToArray());
        }
    }

    public ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            Fleet fleet = _state.Fleets.TryGetValue(fleetId, out Fleet? known)
                ? new Fleet(fleetId, description ?? known.Description, requestTimeoutSeconds ?? known.RequestTimeoutSeconds, heartbeatTimeoutSeconds ?? known.HeartbeatTimeoutSeconds)
                : new Fleet(fleetId, description, requestTimeoutSeconds ?? Fleet.DefaultRequestTimeoutSeconds, heartbeatTimeoutSeconds ?? Fleet.DefaultHeartbeatTimeoutSeconds);
            _state.Fleets[fleetId] = fleet;
            return ValueTask.FromResult(fleet);
        }
    }

    public ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult(_state.Fleets.GetValueOrDefault(fleetId));
        }
    }

    public ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            return ValueTask.FromResult<IReadOnlyList<Fleet>>(_state.Fleets.Values.ToArray());
        }
    }

    public ValueTask<int> ImportAgentsAsync(IReadOnlyList<AgentRow> agents, CancellationToken cancellationToken)
    {
        lock (_state.Gate)
        {
            int added = 0;
            foreach (AgentRow agent in agents)
            {
                if (_state.Agents.TryAdd(agent.Profile.AgentId, agent))
                {
                    added++;
                }
            }

            return ValueTask.FromResult(added);
        }
    }

    /// <summary>An agent known only from a heartbeat or a stream: no profile, never registered by itself.</summary>
    private static AgentRow Bare(string agentId, long now) =>
        new(new AgentProfile(agentId, null, null, null, null), RegisteredAt: now, HeartbeatAt: null, Streams: 0, StreamsSeenAt: null, OfflineReportedAt: null);
}
