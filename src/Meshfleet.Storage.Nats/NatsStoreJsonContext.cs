using System.Text.Json.Serialization;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Routing;

namespace Meshfleet.Storage.Nats;

/// <summary>Source-generated JSON for what the backend stores in streams and buckets (Native AOT: no reflection).</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower,
    DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(StoredMessageBody))]
[JsonSerializable(typeof(IdempotencyClaim))]
[JsonSerializable(typeof(AgentRow))]
[JsonSerializable(typeof(Fleet))]
[JsonSerializable(typeof(DeliveryRow))]
[JsonSerializable(typeof(StoredEmbedding))]
[JsonSerializable(typeof(RouteRecord))]
[JsonSerializable(typeof(StoredAgentKey))]
internal sealed partial class NatsStoreJsonContext : JsonSerializerContext;
