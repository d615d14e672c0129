using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;

namespace Meshfleet.Hosting;

/// <summary>
/// Stands in for a store that could not be opened, so the tools can still be built and listed: every operation
/// fails with the reason the store could not be opened and its fix.
/// </summary>
internal sealed class UnavailableStore : IMessageLog, IAgentDirectory, IDeliveryLedger, IEmbeddingStore, IRouteLog, IAgentKeyStore
{
    private readonly string _reason;

    public UnavailableStore(string reason)
    {
        _reason = reason;
    }

    public string StoreId => throw Failure();

    public StorageTraits Traits { get; } = new("unavailable", null, AtomicBatchAppend: false, AtomicAcrossRoles: false, NeedsExternalChangeSignal: false, Durable: false);

    public ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<string?> FindAgentAsync(byte[] keyHash, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<byte[]?> GetKeyHashAsync(string agentId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<bool> ClaimAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask ReplaceAsync(string agentId, byte[] keyHash, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<bool> RevokeAsync(string agentId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<int> ImportAgentsAsync(IReadOnlyList<AgentRow> agents, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<DeliveryRow>> ListDeliveriesAsync(long afterSeq, int limit, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<int> ImportDeliveriesAsync(IReadOnlyList<DeliveryRow> deliveries, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken) => throw Failure();

    public IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<AgentRow> UpsertAgentAsync(AgentProfile profile, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordHeartbeatAsync(string agentId, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordStreamsAsync(IReadOnlyDictionary<string, int> streams, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask MarkOfflineReportedAsync(string agentId, long? at, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<AgentRow?> GetAgentAsync(string agentId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<AgentRow>> ListAgentsAsync(string? fleetId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<Fleet> UpsertFleetAsync(string fleetId, string? description, int? requestTimeoutSeconds, int? heartbeatTimeoutSeconds, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<Fleet?> GetFleetAsync(string fleetId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<Fleet>> ListFleetsAsync(CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken) => throw Failure();

    public ValueTask<IReadOnlyDictionary<string, StoredEmbedding>> GetEmbeddingsAsync(string model, CancellationToken cancellationToken) => throw Failure();

    public ValueTask SaveEmbeddingAsync(string agentId, string model, StoredEmbedding embedding, CancellationToken cancellationToken) => throw Failure();

    public ValueTask RecordAsync(RouteRecord record, CancellationToken cancellationToken) => throw Failure();

    private StoreFailureException Failure() => new(_reason);
}
