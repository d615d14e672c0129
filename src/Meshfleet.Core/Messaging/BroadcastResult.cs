namespace Meshfleet.Core.Messaging;

/// <summary>What <c>broadcast</c> returns: the fleet and one message per member reached.</summary>
public sealed record BroadcastResult(string FleetId, IReadOnlyList<MeshMessage> Messages);
