using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;
using Microsoft.Extensions.Time.Testing;

namespace Meshfleet.Core.Tests;

/// <summary>The core services over a real SQLite file, with a fake clock so timeouts and backoff run without waiting.</summary>
internal sealed class MeshHarness : IAsyncDisposable
{
    private readonly string _directory = System.IO.Directory.CreateTempSubdirectory("meshfleet-core-").FullName;
    private readonly CancellationTokenSource _stop = new(TimeSpan.FromSeconds(60));
    private Task _pump = Task.CompletedTask;

    private MeshHarness(RetryPolicy policy)
    {
        Time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 24, 12, 0, 0, TimeSpan.Zero));
        Clock = new SteppingClock(Time);
        Store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = Path.Combine(_directory, "mesh.db"), PollInterval = TimeSpan.FromMilliseconds(20) }, Clock);
        Directory = new SqliteAgentDirectory(Store);
        Ledger = new SqliteDeliveryLedger(Store);
        Hub = new StreamHub(new StreamHubOptions());
        Policy = policy;
        Mesh = new Mesh(Store, Directory, Ledger, Hub, new MeshLimits(), policy, Clock);
        Agents = new AgentRegistry(Directory, Hub, Clock);
        Questions = new Questions(Mesh, Agents, Hub);
        Watchdog = new Watchdog(Agents, Mesh);
        Redeliverer = new Redeliverer(Mesh, Hub, policy);
    }

    public FakeTimeProvider Time { get; }

    /// <summary>What the services run on: <see cref="Time"/>, with a wall clock that tests may step.</summary>
    public SteppingClock Clock { get; }

    public SqliteMessageStore Store { get; }

    public SqliteAgentDirectory Directory { get; }

    public SqliteDeliveryLedger Ledger { get; }

    public StreamHub Hub { get; }

    public RetryPolicy Policy { get; }

    public Mesh Mesh { get; }

    public AgentRegistry Agents { get; }

    public Questions Questions { get; }

    public Watchdog Watchdog { get; }

    public Redeliverer Redeliverer { get; }

    public CancellationToken Timeout => _stop.Token;

    public static async Task<MeshHarness> StartAsync(RetryPolicy? policy = null)
    {
        var harness = new MeshHarness(policy ?? new RetryPolicy { Jitter = 0 });
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
        SqliteConnection.ClearAllPools();
        System.IO.Directory.Delete(_directory, recursive: true);
        _stop.Dispose();
    }
}
