using System.Text.Json.Serialization;

namespace Meshfleet.Core.Messaging;

/// <summary>Source-generated JSON for <see cref="SystemNotice"/>.</summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower, DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull)]
[JsonSerializable(typeof(SystemNotice))]
internal sealed partial class SystemNoticeContext : JsonSerializerContext;
