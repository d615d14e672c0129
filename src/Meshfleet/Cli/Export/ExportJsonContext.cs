using System.Text.Json.Serialization;

namespace Meshfleet.Cli.Export;

/// <summary>
/// Source-generated JSON for the export lines other than messages (those keep the wire shape of
/// <see cref="Json.MeshfleetJsonContext"/>). Every field is written, null included, so each record type has one shape.
/// </summary>
[JsonSourceGenerationOptions(PropertyNamingPolicy = JsonKnownNamingPolicy.SnakeCaseLower)]
[JsonSerializable(typeof(ExportHeader))]
[JsonSerializable(typeof(ExportFleet))]
[JsonSerializable(typeof(ExportAgent))]
[JsonSerializable(typeof(ExportDelivery))]
internal sealed partial class ExportJsonContext : JsonSerializerContext;
