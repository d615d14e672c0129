using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Configuration;

/// <summary>
/// Every setting of a Meshfleet process, resolved from defaults, <c>MESHFLEET_*</c> variables and CLI flags
/// (<see cref="SettingsCatalog"/>). A setting that configures a feature's options type takes its default from that type,
/// so each default is written once; <see cref="SettingsCatalog"/> prints these values in --help. The feature options are
/// bound here (<see cref="Streams"/>, <see cref="Limits"/>, <see cref="Retry"/>, <see cref="SqliteStore"/>).
/// </summary>
public sealed record MeshfleetSettings
{
    private static readonly StreamHubOptions StreamDefaults = new();
    private static readonly RetryPolicy RetryDefaults = new();
    private static readonly SqliteStoreOptions SqliteDefaults = new() { Path = string.Empty };

    public string SseHost { get; init; } = "127.0.0.1";

    public int SsePort { get; init; } = 13579;

    public required string DatabasePath { get; init; }

    public TimeSpan Heartbeat { get; init; } = TimeSpan.FromSeconds(30);

    public int MaxStreamsPerAgent { get; init; } = StreamDefaults.MaxStreamsPerAgent;

    public int SubscriberBuffer { get; init; } = StreamDefaults.SubscriberBuffer;

    public long SubscriberBufferBytes { get; init; } = StreamDefaults.SubscriberBufferBytes;

    public int MaxStreams { get; init; } = StreamDefaults.MaxStreams;

    public int MaxPayloadBytes { get; init; } = MeshLimits.DefaultMaxPayloadBytes;

    public long MaxRequestBytes { get; init; } = 4 * 1024 * 1024;

    public bool SyncEveryCommit { get; init; }

    public TimeSpan AckBaseDelay { get; init; } = RetryDefaults.BaseDelay;

    public int AckMaxAttempts { get; init; } = RetryDefaults.MaxAttempts;

    public TimeSpan PollInterval { get; init; } = SqliteDefaults.PollInterval;

    public IReadOnlyList<string> AllowedHosts { get; init; } = [];

    public string? Token { get; init; }

    /// <summary>The least severe level logged (<c>MESHFLEET_LOG_LEVEL</c>), parsed once by <see cref="SettingsCatalog"/>.</summary>
    public Microsoft.Extensions.Logging.LogLevel LogLevel { get; init; } = Microsoft.Extensions.Logging.LogLevel.Information;

    /// <summary>The agent this process is bound to (<c>MESHFLEET_AGENT_ID</c> / <c>--agent</c>), or null when unbound.</summary>
    public string? AgentId { get; init; }

    /// <summary>The secret key of <see cref="AgentId"/> (<c>MESHFLEET_AGENT_KEY</c>), proving this process may act as it.</summary>
    public string? AgentKey { get; init; }

    /// <summary><c>MESHFLEET_AGENT_IDENTITY</c>: on, off, or null for the default (on whenever a token is set).</summary>
    public bool? AgentIdentity { get; init; }

    /// <summary>Whether agents must prove who they are with their key (see <see cref="AgentIdentity"/>).</summary>
    public bool IdentityOn => AgentIdentity ?? Token is not null;

    /// <summary>How far back a newly bound session is told about messages it has not seen (zero: only new ones).</summary>
    public TimeSpan WakeBacklog { get; init; } = TimeSpan.FromMinutes(60);

    /// <summary>At most this many backlog messages wake a newly bound session; the rest wait in the inbox.</summary>
    public int WakeBacklogLimit { get; init; } = 50;

    /// <summary>The longest one tool call waits (long poll, ask), below the 60 s many clients cut a call off at.</summary>
    public TimeSpan MaxWait { get; init; } = TimeSpan.FromSeconds(50);

    /// <summary>The routing model: an ONNX model path, or the endpoint's model name; null for the built-in all-MiniLM-L6-v2.</summary>
    public string? EmbeddingModel { get; init; }

    /// <summary>An OpenAI-compatible embeddings endpoint to route with, or null for the local model.</summary>
    public Uri? EmbeddingUrl { get; init; }

    /// <summary>The NATS server(s) holding the mesh (<c>MESHFLEET_NATS_URL</c>); null: the SQLite file at <see cref="DatabasePath"/>.</summary>
    public string? NatsUrl { get; init; }

    /// <summary>The store in words, for messages: the SQLite file, or the NATS mesh and its server.</summary>
    public string StoreDescription => NatsUrl is null
        ? $"the store at {DatabasePath}"
        : $"the NATS mesh '{NatsMesh}' at {NatsUrl}";

    /// <summary>The mesh's name on the NATS server: its stream and buckets carry it.</summary>
    public string NatsMesh { get; init; } = "default";

    /// <summary>Replicas of the stream and buckets when this process creates them.</summary>
    public int NatsReplicas { get; init; } = 1;

    public string? NatsCredentialsFile { get; init; }

    public string? NatsToken { get; init; }

    public string? NatsUser { get; init; }

    public string? NatsPassword { get; init; }

    public string? NatsCaFile { get; init; }

    public string? NatsCertFile { get; init; }

    public string? NatsKeyFile { get; init; }

    /// <summary>The stream fan-out's options (<c>MESHFLEET_MAX_STREAMS*</c>, <c>MESHFLEET_SUBSCRIBER_BUFFER*</c>).</summary>
    public StreamHubOptions Streams => new()
    {
        MaxStreamsPerAgent = MaxStreamsPerAgent,
        MaxStreams = MaxStreams,
        SubscriberBuffer = SubscriberBuffer,
        SubscriberBufferBytes = SubscriberBufferBytes,
    };

    /// <summary>The limits checked at every transport (<c>MESHFLEET_MAX_PAYLOAD_BYTES</c>).</summary>
    public MeshLimits Limits => new() { MaxPayloadBytes = MaxPayloadBytes };

    /// <summary>The ack redelivery schedule (<c>MESHFLEET_ACK_BASE_MS</c>, <c>MESHFLEET_ACK_MAX_ATTEMPTS</c>).</summary>
    public RetryPolicy Retry => new() { BaseDelay = AckBaseDelay, MaxAttempts = AckMaxAttempts };

    /// <summary>The SQLite file's options (<c>MESHFLEET_DB</c>, <c>MESHFLEET_DURABILITY</c>, <c>MESHFLEET_POLL_MS</c>).</summary>
    public SqliteStoreOptions SqliteStore => new() { Path = DatabasePath, SyncEveryCommit = SyncEveryCommit, PollInterval = PollInterval };

    /// <summary>True when the listener is reachable only from this machine.</summary>
    public bool BindsLoopbackOnly => System.Net.IPAddress.TryParse(SseHost, out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address);

    /// <summary>The base URL clients use to reach the listener on the configured port.</summary>
    public string PublicBaseUrl => BaseUrlFor(SsePort);

    /// <summary>The base URL clients use to reach the listener on <paramref name="port"/> (the bound one, when 0 was configured).</summary>
    public string BaseUrlFor(int port)
    {
        string host = SseHost is "0.0.0.0" or "::" or "[::]" ? "127.0.0.1" : SseHost;
        if (host.Contains(':', StringComparison.Ordinal) && !host.StartsWith('['))
        {
            host = $"[{host}]";
        }

        return $"http://{host}:{port}";
    }
}
