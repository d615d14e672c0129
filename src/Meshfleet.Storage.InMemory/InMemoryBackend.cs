using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.InMemory;

/// <summary>
/// A store that lives in this process's memory and implements every storage role with the same semantics as the
/// durable backends (strictly increasing seqs, exclusive cursors, no holes, idempotency keys, tails woken on append).
/// For tests and for trying Meshfleet without a file; nothing survives the process.
/// </summary>
public sealed class InMemoryBackend
{
    private readonly InMemoryState _state = new();
    private readonly TimeProvider _time;
    private readonly TimeSpan _pollInterval;

    /// <param name="time">The clock the tails' safety poll runs on.</param>
    /// <param name="pollInterval">How often a tail looks without a wake-up (every append wakes it; this is a safety net).</param>
    public InMemoryBackend(TimeProvider time, TimeSpan? pollInterval = null)
    {
        _time = time;
        _pollInterval = pollInterval ?? TimeSpan.FromMilliseconds(250);
        Directory = new InMemoryAgentDirectory(_state);
        Ledger = new InMemoryDeliveryLedger(_state);
        Keys = new InMemoryAgentKeys(_state);
        var routing = new InMemoryRouting(_state);
        Embeddings = routing;
        Routes = routing;
        Meta = new InMemoryStoreMeta(_state);
    }

    /// <summary>
    /// Keys are kept as long as the store (forever, for its lifetime); a batch and the delivery state beside a message
    /// change under one lock; every append wakes every tail of the store; nothing outlives the process.
    /// </summary>
    public static StorageTraits Traits { get; } = new(
        Backend: "memory",
        IdempotencyWindow: null,
        AtomicBatchAppend: true,
        AtomicAcrossRoles: true,
        NeedsExternalChangeSignal: false,
        Durable: false);

    /// <summary>The agent directory role.</summary>
    public IAgentDirectory Directory { get; }

    /// <summary>The delivery ledger role.</summary>
    public IDeliveryLedger Ledger { get; }

    /// <summary>Agents' key hashes (agent directory role).</summary>
    public IAgentKeyStore Keys { get; }

    /// <summary>Agents' routing vectors (agent directory role).</summary>
    public IEmbeddingStore Embeddings { get; }

    /// <summary>Routed hand-offs (agent directory role).</summary>
    public IRouteLog Routes { get; }

    /// <summary>The store's own facts: token protection, duty lease.</summary>
    public IStoreMeta Meta { get; }

    /// <summary>Opens a handle on the message log, with its own tail; each handle sees every other handle's appends at once.</summary>
    public InMemoryMessageLog OpenLog() => new(_state, _pollInterval, _time);
}
