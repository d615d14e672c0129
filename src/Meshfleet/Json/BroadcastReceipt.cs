namespace Meshfleet.Json;

/// <summary>What <c>broadcast</c> returns: one receipt per member reached.</summary>
public sealed record BroadcastReceipt(string FleetId, IReadOnlyList<DeliveredReceipt> Messages);
