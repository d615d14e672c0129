namespace Meshfleet.Core.Agents;

/// <summary>
/// Ages of stored presence times (heartbeats, stream sightings) that survive wall-clock steps. The times are wall clock,
/// since other processes write them; but once this process has seen a value, its age grows with the monotonic clock, so
/// an NTP correction or a resumed laptop neither ages a fresh heartbeat by ten minutes nor keeps a stale one young.
/// </summary>
internal sealed class PresenceAges
{
    private const int MaxRemembered = 100_000;
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private readonly Dictionary<(string AgentId, bool Stream), (long Value, long SeenAt)> _seen = [];

    public PresenceAges(TimeProvider time)
    {
        _time = time;
    }

    /// <summary>Milliseconds since <paramref name="value"/> (Unix ms) for the agent's heartbeat or stream sighting.</summary>
    public long AgeOf(string agentId, bool stream, long value, long wallNow)
    {
        long timestamp = _time.GetTimestamp();
        lock (_gate)
        {
            if (_seen.TryGetValue((agentId, stream), out (long Value, long SeenAt) known) && known.Value == value)
            {
                return (long)_time.GetElapsedTime(known.SeenAt, timestamp).TotalMilliseconds;
            }

            // First sight of this value: the wall clock is all there is, and from here on the monotonic clock counts.
            long age = Math.Max(0, wallNow - value);
            if (_seen.Count >= MaxRemembered)
            {
                _seen.Clear();
            }

            _seen[(agentId, stream)] = (value, timestamp - (long)(age / 1000.0 * _time.TimestampFrequency));
            return age;
        }
    }
}
