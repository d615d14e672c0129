using System.Text.Json;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;

namespace Meshfleet.Cli.Export;

/// <summary>
/// Reads an export through the storage roles: a versioned file (header first, docs/export-format.md) or an old
/// message-only file (no header, one message per line). What the store already holds wins: a known message id, agent,
/// fleet or delivery row is skipped, so importing a file again adds nothing.
/// </summary>
internal sealed class MeshImporter
{
    private const int Batch = 2000;
    private readonly MeshStores _stores;
    private readonly List<MeshMessage> _messages = new(Batch);
    private readonly List<AgentRow> _agents = [];
    private readonly List<ExportDelivery> _deliveries = [];
    private long _fleets;
    private long _agentsAdded;
    private long _messagesAdded;
    private long _messagesRead;
    private long _deliveriesAdded;

    public MeshImporter(MeshStores stores)
    {
        _stores = stores;
    }

    /// <summary>Messages read from the file so far (added or already present).</summary>
    public long MessagesRead => _messagesRead;

    /// <summary>What was added to the store so far.</summary>
    public ExportCounts Added => new(_fleets, _agentsAdded, _messagesAdded, _deliveriesAdded);

    /// <summary>
    /// Imports every line; <paramref name="progress"/> hears (bytes read, messages read). Throws
    /// <see cref="ExportFileException"/> naming the first line it cannot take; the records before it are imported.
    /// </summary>
    public async Task ImportAsync(StreamReader reader, string path, Action<long, long> progress, CancellationToken cancellationToken)
    {
        long lineNumber = 0;
        bool? versioned = null;
        try
        {
            while (await reader.ReadLineAsync(cancellationToken) is { } line)
            {
                lineNumber++;
                if (string.IsNullOrWhiteSpace(line))
                {
                    continue;
                }

                string? type = TypeOf(line, lineNumber, path);
                if (versioned is null)
                {
                    versioned = type is not null;
                    if (type is not null)
                    {
                        CheckHeader(line, type, lineNumber, path);
                        continue;
                    }
                }

                await TakeAsync(line, type, versioned.Value, lineNumber, path, cancellationToken);
                if (_messages.Count == Batch)
                {
                    await FlushMessagesAsync(cancellationToken);
                    progress(reader.BaseStream.Position, _messagesRead);
                }
            }
        }
        finally
        {
            // Whatever was read before a bad line is stored, so importing the fixed file again only adds the rest.
            await FlushAsync(cancellationToken);
        }
    }

    private async Task TakeAsync(string line, string? type, bool versioned, long lineNumber, string path, CancellationToken cancellationToken)
    {
        switch (type)
        {
            case null when !versioned:
            case ExportFormat.Message when versioned:
                _messages.Add(ReadMessage(line, lineNumber, path));
                _messagesRead++;
                break;
            case ExportFormat.Fleet when versioned:
                ExportFleet fleet = Read(line, ExportJsonContext.Default.ExportFleet, lineNumber, path);
                Require(!string.IsNullOrEmpty(fleet.FleetId), "a fleet needs its fleet_id", lineNumber, path);
                if (await _stores.Directory.GetFleetAsync(fleet.FleetId, cancellationToken) is null)
                {
                    await _stores.Directory.UpsertFleetAsync(fleet.FleetId, fleet.Description, fleet.RequestTimeoutSeconds, fleet.HeartbeatTimeoutSeconds, cancellationToken);
                    _fleets++;
                }

                break;
            case ExportFormat.Agent when versioned:
                ExportAgent a = Read(line, ExportJsonContext.Default.ExportAgent, lineNumber, path);
                Require(!string.IsNullOrEmpty(a.AgentId), "an agent needs its agent_id", lineNumber, path);

                // Stream counts belonged to the exporting processes; here nobody holds a stream yet.
                _agents.Add(new AgentRow(new AgentProfile(a.AgentId, a.Name, a.Role, a.Description, a.FleetId), a.RegisteredAt, a.HeartbeatAt, 0, a.StreamsSeenAt, a.OfflineReportedAt));
                break;
            case ExportFormat.Delivery when versioned:
                ExportDelivery delivery = Read(line, ExportJsonContext.Default.ExportDelivery, lineNumber, path);
                Require(!string.IsNullOrEmpty(delivery.MessageId), "delivery facts need their message_id", lineNumber, path);
                await FlushMessagesAsync(cancellationToken);
                if (await _stores.Log.GetMessageAsync(delivery.MessageId, cancellationToken) is not { } message)
                {
                    throw Damaged(lineNumber, path, $"delivery facts for message {delivery.MessageId}, which is neither earlier in the file nor in the store");
                }

                _deliveries.Add(delivery with { Seq = message.Seq });
                if (_deliveries.Count == Batch)
                {
                    await FlushDeliveriesAsync(cancellationToken);
                }

                break;
            case ExportFormat.Header:
                throw Damaged(lineNumber, path, "a second header; a file holds one export, with its header on the first line");
            case null:
                throw Damaged(lineNumber, path, "a record without a \"type\"; every line after the header names its type");
            default:
                throw Damaged(lineNumber, path, versioned
                    ? $"an unknown record type \"{type}\" (this meshfleet knows header, fleet, agent, message, delivery)"
                    : "a typed record in an old message-only file (no header line)");
        }
    }

    private static void CheckHeader(string line, string type, long lineNumber, string path)
    {
        if (type != ExportFormat.Header)
        {
            throw Damaged(lineNumber, path, $"a \"{type}\" record where the header belongs; a versioned export starts with {{\"type\":\"header\",\"format\":\"{ExportFormat.Name}\",...}}");
        }

        ExportHeader header = Read(line, ExportJsonContext.Default.ExportHeader, lineNumber, path);
        if (header.Format != ExportFormat.Name)
        {
            throw Damaged(lineNumber, path, $"a header of format \"{header.Format}\"; meshfleet import reads \"{ExportFormat.Name}\" files written by meshfleet export");
        }

        if (header.Version > ExportFormat.Version)
        {
            throw new ExportFileException(
                $"{path} is export format version {header.Version}, written by a newer meshfleet; this one reads versions up to {ExportFormat.Version}. " +
                "Import it with the meshfleet that wrote it (or a newer one). Nothing was imported.");
        }

        if (header.Version < 1)
        {
            throw Damaged(lineNumber, path, $"format version {header.Version}; versions start at 1");
        }
    }

    private static string? TypeOf(string line, long lineNumber, string path)
    {
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw Damaged(lineNumber, path, "not a JSON object");
            }

            return document.RootElement.TryGetProperty("type", out JsonElement type)
                ? type.ValueKind == JsonValueKind.String ? type.GetString() : throw Damaged(lineNumber, path, "\"type\" is not a string")
                : null;
        }
        catch (JsonException ex)
        {
            throw Damaged(lineNumber, path, $"not JSON ({ex.Message})");
        }
    }

    private static MeshMessage ReadMessage(string line, long lineNumber, string path)
    {
        MeshMessage message = Read(line, MeshfleetJsonContext.Default.MeshMessage, lineNumber, path);
        try
        {
            InputRules.AgentId(message.FromAgentId, "from_agent_id");
            InputRules.AgentId(message.ToAgentId, "to_agent_id");
        }
        catch (MeshInputException ex)
        {
            throw Damaged(lineNumber, path, $"not a message ({ex.Message})");
        }

        Require(!string.IsNullOrEmpty(message.MessageId) && message.Payload is not null, "not a message (message_id and payload are required)", lineNumber, path);
        return message;
    }

    private static T Read<T>(string line, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, long lineNumber, string path) where T : class
    {
        try
        {
            return JsonSerializer.Deserialize(line, info) ?? throw Damaged(lineNumber, path, "null is not a record");
        }
        catch (JsonException ex)
        {
            throw Damaged(lineNumber, path, $"not a valid {typeof(T).Name.Replace("Export", "", StringComparison.Ordinal).ToLowerInvariant()} record ({ex.Message})");
        }
    }

    private static void Require(bool condition, string what, long lineNumber, string path)
    {
        if (!condition)
        {
            throw Damaged(lineNumber, path, what);
        }
    }

    private static ExportFileException Damaged(long lineNumber, string path, string what) => new(
        $"line {lineNumber} of {path}: {what}. The records before line {lineNumber} were imported; fix the line and import " +
        "the file again (records already imported are skipped).");

    private async Task FlushAsync(CancellationToken cancellationToken)
    {
        await FlushMessagesAsync(cancellationToken);
        await FlushDeliveriesAsync(cancellationToken);
    }

    private async Task FlushMessagesAsync(CancellationToken cancellationToken)
    {
        if (_agents.Count > 0)
        {
            _agentsAdded += await _stores.Directory.ImportAgentsAsync(_agents, cancellationToken);
            _agents.Clear();
        }

        if (_messages.Count > 0)
        {
            _messagesAdded += await _stores.Log.ImportAsync(_messages, cancellationToken);
            _messages.Clear();
        }
    }

    private async Task FlushDeliveriesAsync(CancellationToken cancellationToken)
    {
        if (_deliveries.Count == 0)
        {
            return;
        }

        var rows = _deliveries.Select(d => new DeliveryRow(d.MessageId, d.Seq, d.FromAgentId, d.ToAgentId, d.RequiresAck, d.Attempts, d.NextAttemptAt, d.PushedStreams, d.FirstPushedAt, d.LastPushedAt, d.AckedAt, d.DeadLetteredAt, d.NotifiedSessions, d.FirstNotifiedAt, d.LastNotifiedAt, d.ReadAt)).ToList();
        _deliveriesAdded += await _stores.Ledger.ImportDeliveriesAsync(rows, cancellationToken);
        _deliveries.Clear();
    }
}
