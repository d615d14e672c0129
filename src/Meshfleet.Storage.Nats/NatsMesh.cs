using Meshfleet.Core.Storage;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;
using NATS.Client.KeyValueStore;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// One connection to a NATS server and the mesh's place on it: the message stream and the buckets beside it, created on
/// first use. Every store of the backend shares it; disposing it closes the connection.
/// </summary>
public sealed class NatsMesh : IAsyncDisposable
{
    private readonly NatsConnection _connection;
    private readonly List<string> _warnings = [];

    private NatsMesh(NatsConnection connection, NatsStoreOptions options)
    {
        _connection = connection;
        Options = options;
        Names = new NatsNames(options.Mesh);
        var jetStream = new NatsJSContext(connection);
        JetStream = jetStream;
        KeyValue = new NatsKVContext(jetStream);
    }

    public NatsStoreOptions Options { get; }

    /// <summary>What the server's set-up means for an acknowledged send, when it risks losing one (logged at start).</summary>
    public IReadOnlyList<string> DurabilityWarnings => _warnings;

    /// <summary>The server this process is connected to, e.g. "nats-server 2.9.10".</summary>
    public string ServerDescription => $"nats-server {_connection.ServerInfo?.Version ?? "?"}";

    internal NatsNames Names { get; }

    internal INatsJSContext JetStream { get; }

    internal INatsKVContext KeyValue { get; }

    internal NatsConnection Connection => _connection;

    /// <summary>The mesh's message stream.</summary>
    internal INatsJSStream Stream { get; private set; } = null!;

    internal NatsBucket Ids { get; private set; } = null!;

    internal NatsBucket Idempotency { get; private set; } = null!;

    internal NatsBucket Agents { get; private set; } = null!;

    internal NatsBucket Fleets { get; private set; } = null!;

    internal NatsBucket Deliveries { get; private set; } = null!;

    internal NatsBucket Pending { get; private set; } = null!;

    internal NatsBucket AgentKeys { get; private set; } = null!;

    internal NatsBucket KeyOwners { get; private set; } = null!;

    internal NatsBucket Embeddings { get; private set; } = null!;

    internal NatsBucket Routes { get; private set; } = null!;

    internal NatsBucket Meta { get; private set; } = null!;

    /// <summary>Connects and makes sure the mesh's stream and buckets exist.</summary>
    public static async Task<NatsMesh> OpenAsync(NatsStoreOptions options, CancellationToken cancellationToken)
    {
        var connection = new NatsConnection(ConnectionOptions(options));
        try
        {
            await connection.ConnectAsync().AsTask().WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is NatsException or TimeoutException)
        {
            await connection.DisposeAsync().ConfigureAwait(false);
            throw new StoreFailureException(
                $"Cannot connect to NATS at {options.RedactedUrl} ({ex.GetBaseException().Message}). Check MESHFLEET_NATS_URL / --nats-url and its credentials, and that nats-server runs.", ex);
        }

        var mesh = new NatsMesh(connection, options);
        try
        {
            await mesh.PrepareAsync(cancellationToken).ConfigureAwait(false);
            return mesh;
        }
        catch (NatsNoRespondersException ex)
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw new StoreFailureException(
                $"NATS at {options.RedactedUrl} answers but has no JetStream. Start nats-server with JetStream on (-js, or a jetstream block in its config; see docs/nats.md).", ex);
        }
        catch (NatsException ex)
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw new StoreFailureException(
                $"NATS at {options.RedactedUrl} refused to set up mesh '{options.Mesh}' ({ex.Message}). Check the account's JetStream limits and permissions, and MESHFLEET_NATS_REPLICAS against the cluster's size.", ex);
        }
        catch
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }

    private static NatsOpts ConnectionOptions(NatsStoreOptions options) => new()
    {
        Url = options.Url,
        Name = "meshfleet",
        AuthOpts = new NatsAuthOpts
        {
            CredsFile = options.CredentialsFile,
            Token = options.Token,
            Username = options.User,
            Password = options.Password,
        },
        TlsOpts = new NatsTlsOpts
        {
            CaFile = options.TlsCaFile,
            CertFile = options.TlsCertFile,
            KeyFile = options.TlsKeyFile,
            Mode = options.TlsCaFile is not null || options.TlsCertFile is not null ? TlsMode.Require : TlsMode.Auto,
        },

        // A lost server is waited for rather than given up on: stores retry their calls, the tail resumes at its cursor.
        MaxReconnectRetry = -1,
        ConnectTimeout = TimeSpan.FromSeconds(5),
        RequestTimeout = TimeSpan.FromSeconds(10),
    };

    /// <summary>
    /// Runs a call again while the cluster cannot answer (a leader election after a server died takes a few seconds),
    /// up to <see cref="FailoverPatience"/>. Only for calls that are safe to repeat: reads, puts, and publishes, which
    /// carry their message id as Nats-Msg-Id so the stream stores a repeated one once.
    /// </summary>
    internal static async ValueTask<T> RetryThroughFailoverAsync<T>(Func<CancellationToken, ValueTask<T>> write, TimeProvider time, CancellationToken cancellationToken)
    {
        long started = time.GetTimestamp();
        for (int attempt = 0; ; attempt++)
        {
            try
            {
                return await write(cancellationToken).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsFailover(ex) && time.GetElapsedTime(started) < FailoverPatience)
            {
                await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(1000, 50 << Math.Min(attempt, 5))), time, cancellationToken).ConfigureAwait(false);
            }
        }
    }

    /// <summary>How long a write waits for the cluster to elect a new leader before it fails.</summary>
    internal static readonly TimeSpan FailoverPatience = TimeSpan.FromSeconds(20);

    internal static bool IsFailover(Exception ex) =>
        ex is NatsJSPublishNoResponseException or NatsJSApiNoResponseException or NatsNoRespondersException or NatsNoReplyException or NatsJSApiException { Error.Code: 503 };

    private async Task PrepareAsync(CancellationToken cancellationToken)
    {
        // A cluster that is still forming or electing its JetStream leader answers 503, or not at all, for a few
        // seconds: wait for it (the caller's token bounds the wait). Creating what exists already is a no-op, so a
        // retry from the top is safe.
        while (true)
        {
            try
            {
                await CreateAllAsync(cancellationToken).ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsFailover(ex))
            {
                await Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken).ConfigureAwait(false);
            }
        }
    }

    private async Task CreateAllAsync(CancellationToken cancellationToken)
    {
        Stream = await EnsureStreamAsync(cancellationToken).ConfigureAwait(false);
        Ids = await BucketAsync("ids", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Idempotency = await BucketAsync("idempotency", Options.IdempotencyWindow, cancellationToken).ConfigureAwait(false);
        Agents = await BucketAsync("agents", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Fleets = await BucketAsync("fleets", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Deliveries = await BucketAsync("deliveries", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Pending = await BucketAsync("pending", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        AgentKeys = await BucketAsync("agentkeys", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        KeyOwners = await BucketAsync("keyowners", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Embeddings = await BucketAsync("embeddings", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Routes = await BucketAsync("routes", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        Meta = await BucketAsync("meta", TimeSpan.Zero, cancellationToken).ConfigureAwait(false);
        NoteDurability(Stream.Info.Config);
    }

    private async Task<INatsJSStream> EnsureStreamAsync(CancellationToken cancellationToken)
    {
        try
        {
            return await JetStream.GetStreamAsync(Names.Stream, cancellationToken: cancellationToken).ConfigureAwait(false);
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
        }

        var config = new StreamConfig(Names.Stream, [Names.AllInboxes])
        {
            Description = $"Meshfleet mesh '{Names.Mesh}': one subject per inbox; the stream sequence is the message's seq",
            Storage = StreamConfigStorage.File,
            NumReplicas = Options.Replicas,
            Retention = StreamConfigRetention.Limits,

            // The ledger is append-only: nothing deletes or purges a message (an operator can lift this on purpose).
            DenyDelete = true,
            DenyPurge = true,

            // Nats-Msg-Id (our message id) de-duplicates a client's retried publish within this window; idempotency
            // keys live in their own bucket for far longer.
            DuplicateWindow = TimeSpan.FromMinutes(2),
        };
        return await JetStream.CreateStreamAsync(config, cancellationToken).ConfigureAwait(false);
    }

    private async Task<NatsBucket> BucketAsync(string role, TimeSpan maxAge, CancellationToken cancellationToken)
    {
        string name = Names.Bucket(role);
        try
        {
            return new NatsBucket(await KeyValue.GetStoreAsync(name, cancellationToken).ConfigureAwait(false));
        }
        catch (NatsJSApiException ex) when (ex.Error.Code == 404)
        {
        }

        var config = new NatsKVConfig(name)
        {
            Storage = NatsKVStorageType.File,
            NumberOfReplicas = Options.Replicas,
            History = 1,
            MaxAge = maxAge,
        };
        return new NatsBucket(await KeyValue.CreateStoreAsync(config, cancellationToken).ConfigureAwait(false));
    }

    private void NoteDurability(StreamConfig stream)
    {
        if (stream.NumReplicas <= 1)
        {
            _warnings.Add(
                $"Stream {Names.Stream} has 1 replica: an acknowledged send lives on one server's disk, and that server's loss loses it. " +
                "Run a 3-node cluster and set MESHFLEET_NATS_REPLICAS=3 before the mesh is created (docs/nats.md).");
        }

        string? version = _connection.ServerInfo?.Version;
        if (version is not null && Version.TryParse(version.Split('-')[0], out Version? parsed) && parsed < new Version(2, 10))
        {
            _warnings.Add(
                $"nats-server {version} has no sync_interval setting: it flushes writes to the OS at once but fsyncs only every 2 minutes, " +
                "so a power loss (not a process crash) can lose acknowledged sends on every replica at once. Use nats-server 2.10+ with sync_interval: always (deploy/nats/meshfleet.conf).");
        }
    }

    public async ValueTask DisposeAsync() => await _connection.DisposeAsync().ConfigureAwait(false);
}
