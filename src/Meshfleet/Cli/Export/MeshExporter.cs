using System.Text.Json;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;

namespace Meshfleet.Cli.Export;

/// <summary>
/// Writes the whole mesh as JSON Lines through the storage roles: a header, then fleets, agents, messages in seq order,
/// and delivery facts in seq order (docs/export-format.md). Agents' key hashes, routing vectors and the store's own
/// facts are left out: keys are secrets and are issued again, vectors are rebuilt, the rest belongs to the store.
/// </summary>
internal sealed class MeshExporter
{
    private const int Batch = 2000;
    private static readonly byte[] Newline = "\n"u8.ToArray();
    private static readonly byte[] MessagePrefix = "{\"type\":\"message\","u8.ToArray();
    private readonly MeshStores _stores;
    private readonly TimeProvider _time;

    public MeshExporter(MeshStores stores, TimeProvider time)
    {
        _stores = stores;
        _time = time;
    }

    /// <summary>Writes the export; <paramref name="progress"/> hears (seq reached, messages written).</summary>
    public async Task<ExportCounts> WriteAsync(Stream output, Action<long, long> progress, CancellationToken cancellationToken)
    {
        var header = new ExportHeader(ExportFormat.Header, ExportFormat.Name, ExportFormat.Version, _time.GetUtcNow().ToUnixTimeMilliseconds(), _stores.Log.StoreId, _stores.Log.Traits.Backend);
        await WriteLineAsync(output, header, ExportJsonContext.Default.ExportHeader, cancellationToken);

        IReadOnlyList<Fleet> fleets = await _stores.Directory.ListFleetsAsync(cancellationToken);
        foreach (Fleet fleet in fleets)
        {
            await WriteLineAsync(output, new ExportFleet(ExportFormat.Fleet, fleet.FleetId, fleet.Description, fleet.RequestTimeoutSeconds, fleet.HeartbeatTimeoutSeconds), ExportJsonContext.Default.ExportFleet, cancellationToken);
        }

        IReadOnlyList<AgentRow> agents = await _stores.Directory.ListAgentsAsync(null, cancellationToken);
        foreach (AgentRow a in agents)
        {
            var line = new ExportAgent(ExportFormat.Agent, a.Profile.AgentId, a.Profile.Name, a.Profile.Role, a.Profile.Description, a.Profile.FleetId, a.RegisteredAt, a.HeartbeatAt, a.Streams, a.StreamsSeenAt, a.OfflineReportedAt);
            await WriteLineAsync(output, line, ExportJsonContext.Default.ExportAgent, cancellationToken);
        }

        long messages = 0;
        long cursor = 0;
        while (await _stores.Log.ReadAfterAsync(cursor, Batch, cancellationToken) is { Count: > 0 } page)
        {
            foreach (MeshMessage message in page)
            {
                // A message line is the message's own wire shape with "type" in front, so old readers' field names hold.
                byte[] json = JsonSerializer.SerializeToUtf8Bytes(message, MeshfleetJsonContext.Plain.MeshMessage);
                await output.WriteAsync(MessagePrefix, cancellationToken);
                await output.WriteAsync(json.AsMemory(1), cancellationToken);
                await output.WriteAsync(Newline, cancellationToken);
                cursor = message.Seq;
            }

            messages += page.Count;
            progress(cursor, messages);
        }

        long deliveries = 0;
        cursor = 0;
        while (await _stores.Ledger.ListDeliveriesAsync(cursor, Batch, cancellationToken) is { Count: > 0 } page)
        {
            foreach (DeliveryRow d in page)
            {
                var line = new ExportDelivery(ExportFormat.Delivery, d.MessageId, d.Seq, d.FromAgentId, d.ToAgentId, d.RequiresAck, d.Attempts, d.NextAttemptAt, d.PushedStreams, d.FirstPushedAt, d.LastPushedAt, d.AckedAt, d.DeadLetteredAt, d.NotifiedSessions, d.FirstNotifiedAt, d.LastNotifiedAt, d.ReadAt);
                await WriteLineAsync(output, line, ExportJsonContext.Default.ExportDelivery, cancellationToken);
                cursor = d.Seq;
            }

            deliveries += page.Count;
        }

        return new ExportCounts(fleets.Count, agents.Count, messages, deliveries);
    }

    private static async Task WriteLineAsync<T>(Stream output, T record, System.Text.Json.Serialization.Metadata.JsonTypeInfo<T> info, CancellationToken cancellationToken)
    {
        await JsonSerializer.SerializeAsync(output, record, info, cancellationToken);
        await output.WriteAsync(Newline, cancellationToken);
    }
}
