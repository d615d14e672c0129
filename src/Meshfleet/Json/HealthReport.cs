namespace Meshfleet.Json;

/// <summary>The body of <c>GET /healthz</c>.</summary>
public sealed record HealthReport(string Status, string Version, string StoreId, int Pid, long Cursor);
