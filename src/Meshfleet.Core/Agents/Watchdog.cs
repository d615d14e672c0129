using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Agents;

/// <summary>
/// Runs in the hub: when a fleet member goes offline, tells the other members once (an inbox message from
/// <c>meshfleet</c>, pushed on their streams like any other), and forgets it when the agent comes back.
/// </summary>
public sealed class Watchdog
{
    private readonly AgentRegistry _registry;
    private readonly Mesh _mesh;

    public Watchdog(AgentRegistry registry, Mesh mesh)
    {
        _registry = registry;
        _mesh = mesh;
    }

    /// <summary>One sweep; returns the agents announced offline.</summary>
    public async ValueTask<IReadOnlyList<string>> SweepAsync(CancellationToken cancellationToken)
    {
        IAgentDirectory store = _registry.Directory;
        IReadOnlyList<AgentRow> agents = await store.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false);
        Dictionary<string, Fleet> fleets = (await store.ListFleetsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(f => f.FleetId, StringComparer.Ordinal);
        long now = _mesh.Time.GetUtcNow().ToUnixTimeMilliseconds();
        var announced = new List<string>();
        foreach (AgentRow row in agents)
        {
            if (row.Profile.FleetId is not { } fleetId || !fleets.TryGetValue(fleetId, out Fleet? fleet))
            {
                continue;
            }

            AgentView view = _registry.View(row, fleet, now);
            if (view.Status == "online" && row.OfflineReportedAt is not null)
            {
                await store.MarkOfflineReportedAsync(row.Profile.AgentId, null, cancellationToken).ConfigureAwait(false);
            }
            else if (view.Status == "offline" && row.OfflineReportedAt is null)
            {
                IEnumerable<string> others = agents
                    .Where(a => a.Profile.FleetId == fleetId && a.Profile.AgentId != row.Profile.AgentId)
                    .Select(a => a.Profile.AgentId);
                var notice = new SystemNotice(
                    Type: "agent_offline",
                    Text: $"{row.Profile.AgentId} in fleet {fleetId} went offline (no stream, no heartbeat for {fleet.HeartbeatTimeoutSeconds} s). Pending asks to it fail.",
                    AgentId: row.Profile.AgentId,
                    FleetId: fleetId,
                    LastSeen: view.LastSeen);
                await _mesh.NotifyAsync(others, notice, null, cancellationToken).ConfigureAwait(false);
                await store.MarkOfflineReportedAsync(row.Profile.AgentId, now, cancellationToken).ConfigureAwait(false);
                announced.Add(row.Profile.AgentId);
            }
        }

        return announced;
    }
}
