using Meshfleet.Core.Agents;

namespace Meshfleet.Json;

/// <summary>What the dashboard shows: the mesh's cursor, its agents with presence, its fleets and open streams.</summary>
public sealed record MeshOverview(
    string Version,
    string StoreId,
    long Cursor,
    IReadOnlyList<AgentView> Agents,
    IReadOnlyList<FleetView> Fleets,
    IReadOnlyDictionary<string, int> Streams);
