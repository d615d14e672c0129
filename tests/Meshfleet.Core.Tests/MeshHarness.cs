using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.InMemory;
using Microsoft.Extensions.Time.Testing;

namespace Meshfleet.Core.Tests;

/// <summary>
/// The core services over the in-memory backend (it passes the same compliance suites as SQLite), with a fake clock so
/// timeouts and backoff run without waiting.
/// </summary>
internal sealed class MeshHarness : IAsyncDisposable
{
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private Task _pump = Task.CompletedTask;

    private MeshHarness(RetryPolicy policy, Func<IMessageLog, IMessageLog>? wrapLog)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        Clock = new SteppingClock(Time);
        Backend = new InMemoryBackend(Clock, TimeSpan.FromMilliseconds(20));
        Store = Backend.OpenLog();
        Directory = Backend.Directory;
        Ledger = Backend.Ledger;
        Hub = new StreamHub(new StreamHubOptions());
        Policy = policy;
        Mesh = new Mesh(wrapLog?.Invoke(Store) ?? Store, Directory, Ledger, Hub, new MeshLimits(), policy, Clock);
        Agents = new AgentRegistry(Directory, Hub, Clock);
        Questions = new Questions(Mesh, Agents, Hub);
        Watchdog = new Watchdog(Agents, Mesh);
        Redeliverer = new Redeliverer(Mesh, Hub, policy);
    }

    public FakeTimeProvider Time { get; }

    /// <summary>What the services run on: <see cref="Time"/>, with a wall clock that tests may step.</summary>
    public SteppingClock Clock { get; }

    public InMemoryBackend Backend { get; }

    public InMemoryMessageLog Store { get; }

    public IAgentDirectory Directory { get; }

    public IDeliveryLedger Ledger { get; }

    public StreamHub Hub { get; }

    public RetryPolicy Policy { get; }

    public Mesh Mesh { get; }

    public AgentRegistry Agents { get; }

    public Questions Questions { get; }

    public Watchdog Watchdog { get; }

    public Redeliverer Redeliverer { get; }

    public CancellationToken Timeout => _stop.Token;

    /// <param name="policy">The retry policy (no jitter by default).</param>
    /// <param name="wrapLog">Wraps the log the mesh reads and writes through (the pump keeps the bare one), to observe its calls.</param>
    public static async Task<MeshHarness> StartAsync(RetryPolicy? policy = null, Func<IMessageLog, IMessageLog>? wrapLog = null)
    {
        var harness = new MeshHarness(policy ?? new RetryPolicy { Jitter = 0 }, wrapLog);
        harness._pump = await new DeliveryPump(harness.Store, harness.Hub).StartAsync(harness._stop.Token);
        return harness;
    }

    public async Task<MeshMessage> SendAsync(string from, string to, string payload, bool requiresAck = false) =>
        (await Mesh.SendAsync(from, to, payload, null, null, null, Timeout, requiresAck)).Message;

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync();
        await _pump;
        await Store.DisposeAsync();
        _stop.Dispose();
    }
}
