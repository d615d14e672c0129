using System.Collections.Concurrent;
using Meshfleet.Core.Streaming;

namespace Meshfleet.Core.Agents;

/// <summary>
/// Runs in the hub: writes which agents hold streams into the registry, so every process sees their presence.
/// Agents whose last stream closed are written once with 0.
/// </summary>
public sealed class PresenceReporter
{
    private readonly StreamHub _hub;
    private readonly IAgentDirectory _store;
    private readonly TimeProvider _time;
    private readonly ConcurrentDictionary<string, bool> _changed = new(StringComparer.Ordinal);

    public PresenceReporter(StreamHub hub, IAgentDirectory store, TimeProvider time)
    {
        _hub = hub;
        _store = store;
        _time = time;
        hub.StreamsChanged += agentId => _changed[agentId] = true;
    }

    /// <summary>True when a stream opened or closed since the last report.</summary>
    public bool HasChanges => !_changed.IsEmpty;

    public async ValueTask ReportAsync(CancellationToken cancellationToken)
    {
        Dictionary<string, int> streams = _hub.SnapshotStreams();
        foreach (string agentId in _changed.Keys)
        {
            _changed.TryRemove(agentId, out _);
            streams.TryAdd(agentId, 0);
        }

        await _store.RecordStreamsAsync(streams, _time.GetUtcNow().ToUnixTimeMilliseconds(), cancellationToken).ConfigureAwait(false);
    }
}
