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
public sealed partial class MeshfleetJsonContext : JsonSerializerContext;
