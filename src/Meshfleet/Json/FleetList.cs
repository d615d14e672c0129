using Meshfleet.Core.Agents;

namespace Meshfleet.Json;

/// <summary>What <c>list_fleets</c> returns.</summary>
public sealed record FleetList(IReadOnlyList<FleetView> Fleets);
