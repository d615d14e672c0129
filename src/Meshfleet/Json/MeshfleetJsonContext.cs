using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Serialization;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;

namespace Meshfleet.Json;

/// <summary>Source-generated JSON for everything Meshfleet puts on the wire, snake_case.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(MeshMessage))]
[JsonSerializable(typeof(InboxPage))]
[JsonSerializable(typeof(SendReceipt))]
[JsonSerializable(typeof(StreamTicket))]
[JsonSerializable(typeof(HealthReport))]
[JsonSerializable(typeof(HttpError))]
[JsonSerializable(typeof(AgentView))]
[JsonSerializable(typeof(AgentList))]
[JsonSerializable(typeof(FleetView))]
[JsonSerializable(typeof(FleetList))]
[JsonSerializable(typeof(BroadcastReceipt))]
[JsonSerializable(typeof(DeliveryStatus))]
[JsonSerializable(typeof(Exchange))]
[JsonSerializable(typeof(MeshOverview))]
[JsonSerializable(typeof(RoutingResult))]
[JsonSerializable(typeof(RoutedReceipt))]
public sealed partial class MeshfleetJsonContext : JsonSerializerContext
{
    /// <summary>
    /// The same contract for text a model or a script reads (tool results, SSE <c>data:</c>, exports): non-ASCII and
    /// <c>&lt;&gt;&amp;'</c> stay as they are instead of <c>\uXXXX</c>, which costs tokens and clarity. Nothing written
    /// with it is put into HTML; the dashboard renders with <c>textContent</c> and its JSON keeps the default escaping.
    /// </summary>
    public static MeshfleetJsonContext Plain { get; } = new(new JsonSerializerOptions
    {
        PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    });
}
