using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Agents;

/// <summary>
/// Agents and fleets: registration, heartbeats and presence. An agent is online while it holds a stream or has sent a
/// heartbeat within its fleet's heartbeat timeout.
/// </summary>
public sealed class AgentRegistry
{
    /// <summary>The reserved sender of system messages (dead letters, presence changes).</summary>
    public const string SystemAgentId = "meshfleet";

    /// <summary>How stale the hub's stream counts may get before they stop counting (it refreshes them every few seconds).</summary>
    public static readonly TimeSpan StreamFreshness = TimeSpan.FromSeconds(15);

    private const int MaxTimeoutSeconds = 86_400;
    private readonly IAgentDirectory _store;
    private readonly StreamHub _hub;
    private readonly TimeProvider _time;
    private readonly PresenceAges _ages;

    public AgentRegistry(IAgentDirectory store, StreamHub hub, TimeProvider time)
    {
        _store = store;
        _hub = hub;
        _time = time;
        _ages = new PresenceAges(time);
    }

    /// <summary>The agent directory behind the registry.</summary>
    public IAgentDirectory Directory => _store;

    private long Now => _time.GetUtcNow().ToUnixTimeMilliseconds();

    public async ValueTask<AgentView> RegisterAsync(string? agentId, string? name, string? role, string? description, string? fleetId, CancellationToken cancellationToken)
    {
        var profile = new AgentProfile(
            NotSystem(InputRules.AgentId(agentId, "agent_id"), "agent_id"),
            InputRules.OptionalText(name, "name", 128),
            InputRules.OptionalText(role, "role", 128),
            InputRules.OptionalText(description, "description", 2000),
            fleetId is null ? null : InputRules.AgentId(fleetId, "fleet_id"));
        if (profile.FleetId is { } fleet && await _store.GetFleetAsync(fleet, cancellationToken).ConfigureAwait(false) is null)
        {
            await _store.UpsertFleetAsync(fleet, null, null, null, cancellationToken).ConfigureAwait(false);
        }

        AgentRow row = await _store.UpsertAgentAsync(profile, Now, cancellationToken).ConfigureAwait(false);
        return await ViewAsync(row, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<AgentView> HeartbeatAsync(string? agentId, CancellationToken cancellationToken)
    {
        string agent = NotSystem(InputRules.AgentId(agentId, "agent_id"), "agent_id");
        await _store.RecordHeartbeatAsync(agent, Now, cancellationToken).ConfigureAwait(false);
        AgentRow row = (await _store.GetAgentAsync(agent, cancellationToken).ConfigureAwait(false))!;
        return await ViewAsync(row, cancellationToken).ConfigureAwait(false);
    }

    public async ValueTask<IReadOnlyList<AgentView>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken)
    {
        string? fleet = fleetId is null ? null : InputRules.AgentId(fleetId, "fleet_id");
        IReadOnlyList<AgentRow> rows = await _store.ListAgentsAsync(fleet, cancellationToken).ConfigureAwait(false);
        Dictionary<string, Fleet> fleets = (await _store.ListFleetsAsync(cancellationToken).ConfigureAwait(false)).ToDictionary(f => f.FleetId, StringComparer.Ordinal);
        long now = Now;
        return rows.Select(row => View(row, row.Profile.FleetId is { } id ? fleets.GetValueOrDefault(id) : null, now)).ToList();
    }

    public async ValueTask<FleetView> CreateFleetAsync(string? fleetId, string? description, long? requestTimeoutSeconds, long? heartbeatTimeoutSeconds, CancellationToken cancellationToken)
    {
        string id = InputRules.AgentId(fleetId, "fleet_id");
        Fleet fleet = await _store.UpsertFleetAsync(
            id,
            InputRules.OptionalText(description, "description", 2000),
            Seconds(requestTimeoutSeconds, "request_timeout_seconds"),
            Seconds(heartbeatTimeoutSeconds, "heartbeat_timeout_seconds"),
            cancellationToken).ConfigureAwait(false);
        IReadOnlyList<AgentRow> members = await _store.ListAgentsAsync(id, cancellationToken).ConfigureAwait(false);
        return ToView(fleet, members);
    }

    public async ValueTask<IReadOnlyList<FleetView>> ListFleetsAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<Fleet> fleets = await _store.ListFleetsAsync(cancellationToken).ConfigureAwait(false);
        ILookup<string?, AgentRow> members = (await _store.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false)).ToLookup(a => a.Profile.FleetId, StringComparer.Ordinal);
        return fleets.Select(f => ToView(f, members[f.FleetId].ToList())).ToList();
    }

    /// <summary>The fleet of an agent, or null when it has none (or is unknown).</summary>
    public async ValueTask<Fleet?> FleetOfAsync(string agentId, CancellationToken cancellationToken)
    {
        AgentRow? row = await _store.GetAgentAsync(agentId, cancellationToken).ConfigureAwait(false);
        return row?.Profile.FleetId is { } fleet ? await _store.GetFleetAsync(fleet, cancellationToken).ConfigureAwait(false) : null;
    }

    /// <summary>The agent's presence now, or null when it never registered, streamed or sent a heartbeat.</summary>
    public async ValueTask<AgentView?> FindAsync(string agentId, CancellationToken cancellationToken)
    {
        AgentRow? row = await _store.GetAgentAsync(agentId, cancellationToken).ConfigureAwait(false);
        return row is null ? null : await ViewAsync(row, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Computes status and last_seen from the stored facts (and this process's own streams, when it is the hub).</summary>
    public AgentView View(AgentRow row, Fleet? fleet, long now)
    {
        long heartbeatWindow = (fleet?.HeartbeatTimeoutSeconds ?? Fleet.DefaultHeartbeatTimeoutSeconds) * 1000L;
        string agentId = row.Profile.AgentId;
        bool streaming = _hub.CountStreams(agentId) > 0
            || (row.Streams > 0 && row.StreamsSeenAt is { } seen && _ages.AgeOf(agentId, true, seen, now) <= (long)StreamFreshness.TotalMilliseconds);
        bool beating = row.HeartbeatAt is { } beat && _ages.AgeOf(agentId, false, beat, now) <= heartbeatWindow;

        // A held stream is presence right now; otherwise the latest heartbeat or stream sighting.
        long? lastSeen = streaming ? now : Max(row.HeartbeatAt, row.StreamsSeenAt);
        AgentProfile p = row.Profile;
        return new AgentView(p.AgentId, p.Name, p.Role, p.Description, p.FleetId, streaming || beating ? "online" : "offline", lastSeen);
    }

    private async ValueTask<AgentView> ViewAsync(AgentRow row, CancellationToken cancellationToken)
    {
        Fleet? fleet = row.Profile.FleetId is { } id ? await _store.GetFleetAsync(id, cancellationToken).ConfigureAwait(false) : null;
        return View(row, fleet, Now);
    }

    private static FleetView ToView(Fleet fleet, IReadOnlyList<AgentRow> members) =>
        new(fleet.FleetId, fleet.Description, fleet.RequestTimeoutSeconds, fleet.HeartbeatTimeoutSeconds, members.Select(m => m.Profile.AgentId).ToList());

    private static long? Max(long? a, long? b) => a is null ? b : b is null ? a : Math.Max(a.Value, b.Value);

    private static int? Seconds(long? value, string argument)
    {
        if (value is null)
        {
            return null;
        }

        if (value < 1 || value > MaxTimeoutSeconds)
        {
            throw new MeshInputException($"'{argument}' is {value}; it must be between 1 and {MaxTimeoutSeconds} seconds.");
        }

        return (int)value.Value;
    }

    /// <summary>
    /// True for the system sender in any letter case: ids are case-sensitive, but "Meshfleet" reads as the system to a
    /// person or a model, so every spelling is reserved.
    /// </summary>
    public static bool IsSystemAgentId(string agentId) => string.Equals(agentId, SystemAgentId, StringComparison.OrdinalIgnoreCase);

    private static string NotSystem(string agentId, string argument) => IsSystemAgentId(agentId)
        ? throw new MeshInputException($"'{argument}' cannot be \"{agentId}\": \"{SystemAgentId}\" in any letter case is reserved for Meshfleet's own system messages. Pick another id.")
        : agentId;
}
