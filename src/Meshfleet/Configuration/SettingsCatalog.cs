using System.Globalization;
using System.Net;
using System.Text;

namespace Meshfleet.Configuration;

/// <summary>
/// The table of settings: resolves them from the environment and the command line, and prints them for --help.
/// </summary>
internal static class SettingsCatalog
{
    /// <summary>The defaults --help prints: read from the settings record, which takes them from the feature options.</summary>
    private static readonly MeshfleetSettings Defaults = new() { DatabasePath = string.Empty };

    public static readonly IReadOnlyList<SettingDefinition> All =
    [
        new("MESHFLEET_SSE_HOST", "--sse-host", Defaults.SseHost, "Address the HTTP listener (SSE, /healthz, /mcp) binds.",
            (s, v) => s with { SseHost = Host(v) }),
        new("MESHFLEET_SSE_PORT", "--sse-port", Text(Defaults.SsePort), "Port of the HTTP listener; 0 picks a free port.",
            (s, v) => s with { SsePort = Int(v, "MESHFLEET_SSE_PORT", "--sse-port", 0, 65535) }),
        new("MESHFLEET_DB", "--db", "$XDG_DATA_HOME/meshfleet/meshfleet.db", "SQLite database file of the mesh.",
            (s, v) => s with { DatabasePath = NonEmpty(v, "MESHFLEET_DB", "--db") }),
        new("MESHFLEET_DURABILITY", "--durability", "normal", "'normal': commits survive any process crash; 'full': fsync every commit, survives power loss.",
            (s, v) => s with { SyncEveryCommit = Durability(v) }),
        new("MESHFLEET_HEARTBEAT_SECONDS", "--heartbeat-seconds", Text(Defaults.Heartbeat.TotalSeconds), "Seconds between ': heartbeat' comments on an idle stream.",
            (s, v) => s with { Heartbeat = TimeSpan.FromSeconds(Int(v, "MESHFLEET_HEARTBEAT_SECONDS", "--heartbeat-seconds", 1, 3600)) }),
        new("MESHFLEET_MAX_STREAMS_PER_AGENT", "--max-streams-per-agent", Text(Defaults.MaxStreamsPerAgent), "Concurrent SSE streams one agent may hold; the next gets 429.",
            (s, v) => s with { MaxStreamsPerAgent = Int(v, "MESHFLEET_MAX_STREAMS_PER_AGENT", "--max-streams-per-agent", 1, 1000) }),
        new("MESHFLEET_SUBSCRIBER_BUFFER", "--subscriber-buffer", Text(Defaults.SubscriberBuffer), "Messages buffered per stream before a slow reader is dropped.",
            (s, v) => s with { SubscriberBuffer = Int(v, "MESHFLEET_SUBSCRIBER_BUFFER", "--subscriber-buffer", 1, 1_000_000) }),
        new("MESHFLEET_SUBSCRIBER_BUFFER_BYTES", "--subscriber-buffer-bytes", Text(Defaults.SubscriberBufferBytes), "Bytes buffered per stream before a slow reader is dropped and its connection closed (one message always fits).",
            (s, v) => s with { SubscriberBufferBytes = Int(v, "MESHFLEET_SUBSCRIBER_BUFFER_BYTES", "--subscriber-buffer-bytes", 4096, 1024 * 1024 * 1024) }),
        new("MESHFLEET_MAX_STREAMS", "--max-streams", Text(Defaults.MaxStreams), "Concurrent SSE streams over all agents; the next gets 503.",
            (s, v) => s with { MaxStreams = Int(v, "MESHFLEET_MAX_STREAMS", "--max-streams", 1, 1_000_000) }),
        new("MESHFLEET_MAX_PAYLOAD_BYTES", "--max-payload-bytes", Text(Defaults.MaxPayloadBytes), "Largest message payload, in UTF-8 bytes.",
            (s, v) => s with { MaxPayloadBytes = Int(v, "MESHFLEET_MAX_PAYLOAD_BYTES", "--max-payload-bytes", 1, 64 * 1024 * 1024) }),
        new("MESHFLEET_MAX_REQUEST_BYTES", "--max-request-bytes", Text(Defaults.MaxRequestBytes), "Largest HTTP request body on /mcp and POST /inbox/{agent_id}/messages; larger ones get 413.",
            (s, v) => s with { MaxRequestBytes = Int(v, "MESHFLEET_MAX_REQUEST_BYTES", "--max-request-bytes", 1024, 256 * 1024 * 1024) }),
        new("MESHFLEET_ACK_BASE_MS", "--ack-base-ms", Text(Defaults.AckBaseDelay.TotalMilliseconds), "First redelivery delay of a requires_ack message; doubles each attempt (capped at 60 s).",
            (s, v) => s with { AckBaseDelay = TimeSpan.FromMilliseconds(Int(v, "MESHFLEET_ACK_BASE_MS", "--ack-base-ms", 10, 600_000)) }),
        new("MESHFLEET_ACK_MAX_ATTEMPTS", "--ack-max-attempts", Text(Defaults.AckMaxAttempts), "Redeliveries before a requires_ack message is dead-lettered.",
            (s, v) => s with { AckMaxAttempts = Int(v, "MESHFLEET_ACK_MAX_ATTEMPTS", "--ack-max-attempts", 1, 100) }),
        new("MESHFLEET_POLL_MS", "--poll-ms", Text(Defaults.PollInterval.TotalMilliseconds), "Milliseconds between store checks when no wake-up arrives (safety net for other processes' sends).",
            (s, v) => s with { PollInterval = TimeSpan.FromMilliseconds(Int(v, "MESHFLEET_POLL_MS", "--poll-ms", 5, 60_000)) }),
        new("MESHFLEET_ALLOWED_HOSTS", "--allowed-hosts", "(loopback names)", "Comma-separated extra host names accepted in Host and Origin headers.",
            (s, v) => s with { AllowedHosts = v.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) }),
        new("MESHFLEET_TOKEN", "--token", "(none)", "Bearer token required on every HTTP endpoint but /healthz when set (16+ characters).",
            (s, v) => s with { Token = string.IsNullOrEmpty(v) ? null : v }),
        new("MESHFLEET_AGENT_ID", "--agent", "(none)", "The agent this process acts as: tools default agent_id / from_agent_id to it, and its new messages are delivered into the client's session.",
            (s, v) => s with { AgentId = string.IsNullOrEmpty(v) ? null : AgentId(v) }),
        new("MESHFLEET_AGENT_KEY", "--agent-key", "(none)", "The secret key register_agent returned for MESHFLEET_AGENT_ID; needed to act as that agent when agent identity is on.",
            (s, v) => s with { AgentKey = string.IsNullOrEmpty(v) ? null : v.Trim() }),
        new("MESHFLEET_AGENT_IDENTITY", "--agent-identity", "on with a token", "on: agents prove who they are with the key register_agent returns, and may act only as themselves; off: any caller may act as any agent.",
            (s, v) => s with { AgentIdentity = OnOff(v, "MESHFLEET_AGENT_IDENTITY", "--agent-identity") }),
        new("MESHFLEET_WAKE_BACKLOG_MINUTES", "--wake-backlog-minutes", Text(Defaults.WakeBacklog.TotalMinutes), "When a bound session starts, it is woken with its agent's messages from this far back that nobody read or was woken with yet (at most 50); 0: only new ones.",
            (s, v) => s with { WakeBacklog = TimeSpan.FromMinutes(Int(v, "MESHFLEET_WAKE_BACKLOG_MINUTES", "--wake-backlog-minutes", 0, 525_600)) }),
        new("MESHFLEET_MAX_WAIT_SECONDS", "--max-wait-seconds", Text(Defaults.MaxWait.TotalSeconds), "Longest a single tool call waits (get_inbox wait_seconds, ask) before it returns how to keep waiting; keep it below your client's tool timeout.",
            (s, v) => s with { MaxWait = TimeSpan.FromSeconds(Int(v, "MESHFLEET_MAX_WAIT_SECONDS", "--max-wait-seconds", 1, 3600)) }),
        new("MESHFLEET_EMBEDDING_MODEL", "--embedding-model", "(built-in all-MiniLM-L6-v2)", "Routing model: an ONNX sentence model (a .onnx file, or a folder with model.onnx) with its vocab.txt beside it; with MESHFLEET_EMBEDDING_URL, the model name there.",
            (s, v) => s with { EmbeddingModel = string.IsNullOrEmpty(v) ? null : v }),
        new("MESHFLEET_EMBEDDING_URL", "--embedding-url", "(none: local model)", "An OpenAI-compatible embeddings endpoint to route with instead, e.g. http://127.0.0.1:11434/v1/embeddings (Ollama).",
            (s, v) => s with { EmbeddingUrl = string.IsNullOrEmpty(v) ? null : HttpUrl(v) }),
        new("MESHFLEET_NATS_URL", "--nats-url", "(none: SQLite)", "NATS server(s) with JetStream holding the mesh, e.g. nats://10.0.0.5:4222 (comma-separated for a cluster); every process on any machine pointed at it serves one mesh (docs/nats.md).",
            (s, v) => s with { NatsUrl = string.IsNullOrEmpty(v) ? null : NatsUrl(v) }),
        new("MESHFLEET_NATS_MESH", "--nats-mesh", Defaults.NatsMesh, "The mesh's name on the NATS server (letters, digits, '-', '_'): its stream and buckets carry it, so several meshes can share a server.",
            (s, v) => s with { NatsMesh = NatsName(v) }),
        new("MESHFLEET_NATS_REPLICAS", "--nats-replicas", Text(Defaults.NatsReplicas), "Replicas of the mesh's stream and buckets when a process creates them; 3 on a 3-node cluster survives losing a server.",
            (s, v) => s with { NatsReplicas = Int(v, "MESHFLEET_NATS_REPLICAS", "--nats-replicas", 1, 5) }),
        new("MESHFLEET_NATS_CREDS", "--nats-creds", "(none)", "A NATS credentials file (user JWT and NKey seed).",
            (s, v) => s with { NatsCredentialsFile = ExistingFile(v, "MESHFLEET_NATS_CREDS", "--nats-creds") }),
        new("MESHFLEET_NATS_TOKEN", "--nats-token", "(none)", "A NATS authentication token.",
            (s, v) => s with { NatsToken = string.IsNullOrEmpty(v) ? null : v }),
        new("MESHFLEET_NATS_USER", "--nats-user", "(none)", "A NATS user name, with MESHFLEET_NATS_PASSWORD.",
            (s, v) => s with { NatsUser = string.IsNullOrEmpty(v) ? null : v }),
        new("MESHFLEET_NATS_PASSWORD", "--nats-password", "(none)", "The NATS user's password.",
            (s, v) => s with { NatsPassword = string.IsNullOrEmpty(v) ? null : v }),
        new("MESHFLEET_NATS_CA", "--nats-ca", "(system CAs)", "A CA certificate (PEM) to trust for the NATS server's TLS certificate; setting it requires TLS.",
            (s, v) => s with { NatsCaFile = ExistingFile(v, "MESHFLEET_NATS_CA", "--nats-ca") }),
        new("MESHFLEET_NATS_CERT", "--nats-cert", "(none)", "A client certificate (PEM) for NATS servers that require mutual TLS, with MESHFLEET_NATS_KEY.",
            (s, v) => s with { NatsCertFile = ExistingFile(v, "MESHFLEET_NATS_CERT", "--nats-cert") }),
        new("MESHFLEET_NATS_KEY", "--nats-key", "(none)", "The client certificate's private key (PEM).",
            (s, v) => s with { NatsKeyFile = ExistingFile(v, "MESHFLEET_NATS_KEY", "--nats-key") }),
        new("MESHFLEET_LOG_LEVEL", "--log-level", Defaults.LogLevel.ToString().ToLowerInvariant(), "trace, debug, information, warning, error or none (logs go to stderr).",
            (s, v) => s with { LogLevel = LogLevel(v) }),
    ];

    private static string Text(double value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Resolves settings: defaults, then variables, then flags. Returns the arguments that are not settings.</summary>
    public static MeshfleetSettings Resolve(IReadOnlyList<string> args, Func<string, string?> environment, out List<string> rest)
    {
        var settings = new MeshfleetSettings { DatabasePath = DefaultDatabasePath(environment) };
        foreach (SettingDefinition definition in All)
        {
            string? value = environment(definition.Variable);
            if (value is not null && (value.Length > 0 || definition.Variable == "MESHFLEET_TOKEN"))
            {
                settings = definition.Apply(settings, value);
            }
        }

        rest = [];
        for (int i = 0; i < args.Count; i++)
        {
            string arg = args[i];
            string flag = arg;
            string? inline = null;
            int eq = arg.IndexOf('=', StringComparison.Ordinal);
            if (arg.StartsWith("--", StringComparison.Ordinal) && eq > 0)
            {
                flag = arg[..eq];
                inline = arg[(eq + 1)..];
            }

            SettingDefinition? definition = All.FirstOrDefault(d => d.Flag == flag);
            if (definition is null)
            {
                rest.Add(arg);
                continue;
            }

            string? value = inline;
            if (value is null)
            {
                if (i + 1 >= args.Count)
                {
                    throw new SettingsException($"{flag} needs a value, for example: {flag} {definition.Default}");
                }

                value = args[++i];
            }

            settings = definition.Apply(settings, value);
        }

        Validate(settings);
        return settings;
    }

    /// <summary>Refuses combinations that would be unsafe, naming the fix.</summary>
    public static void Validate(MeshfleetSettings settings)
    {
        if (!settings.BindsLoopbackOnly && settings.Token is null)
        {
            throw new SettingsException(
                $"MESHFLEET_SSE_HOST / --sse-host is {settings.SseHost}, which other machines can reach, but no token is set, so anyone could read every inbox. " +
                "Set MESHFLEET_TOKEN (for example: export MESHFLEET_TOKEN=$(openssl rand -hex 32)) or bind 127.0.0.1.");
        }

        if (settings.Token is { Length: < 16 })
        {
            throw new SettingsException("MESHFLEET_TOKEN / --token is shorter than 16 characters; use a long random value, for example: openssl rand -hex 32.");
        }

        if (settings.EmbeddingUrl is not null && settings.EmbeddingModel is null)
        {
            throw new SettingsException("MESHFLEET_EMBEDDING_URL / --embedding-url is set, but MESHFLEET_EMBEDDING_MODEL is not; name the endpoint's model, for example nomic-embed-text.");
        }

        if (settings.EmbeddingUrl is null && settings.EmbeddingModel is { } model && !File.Exists(model) && !File.Exists(Path.Combine(model, "model.onnx")))
        {
            throw new SettingsException($"MESHFLEET_EMBEDDING_MODEL / --embedding-model is '{model}', which is neither a .onnx file nor a folder with model.onnx. Unset it to use the built-in all-MiniLM-L6-v2.");
        }

        if ((settings.NatsCertFile is null) != (settings.NatsKeyFile is null))
        {
            throw new SettingsException("MESHFLEET_NATS_CERT and MESHFLEET_NATS_KEY go together: set both (client certificate and its key) or neither.");
        }

        if ((settings.NatsUser is null) != (settings.NatsPassword is null))
        {
            throw new SettingsException("MESHFLEET_NATS_USER and MESHFLEET_NATS_PASSWORD go together: set both or neither.");
        }

        if (settings.MaxRequestBytes < settings.MaxPayloadBytes + 1024)
        {
            throw new SettingsException(
                $"MESHFLEET_MAX_REQUEST_BYTES ({settings.MaxRequestBytes}) must exceed MESHFLEET_MAX_PAYLOAD_BYTES ({settings.MaxPayloadBytes}) plus room for the JSON-RPC envelope; raise it.");
        }
    }

    /// <summary>The settings part of --help.</summary>
    public static string Describe()
    {
        var text = new StringBuilder();
        foreach (SettingDefinition d in All)
        {
            text.Append(CultureInfo.InvariantCulture, $"  {d.Flag,-24} {d.Variable,-32} default {d.Default}\n");
            text.Append(CultureInfo.InvariantCulture, $"  {string.Empty,-24} {d.Help}\n");
        }

        return text.ToString();
    }

    private static string DefaultDatabasePath(Func<string, string?> environment)
    {
        string? dataHome = environment("XDG_DATA_HOME");
        if (string.IsNullOrEmpty(dataHome))
        {
            string home = environment("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
            dataHome = Path.Combine(home, ".local", "share");
        }

        return Path.Combine(dataHome, "meshfleet", "meshfleet.db");
    }

    private static int Int(string value, string variable, string flag, int min, int max)
    {
        if (!int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out int number) || number < min || number > max)
        {
            throw new SettingsException($"{variable} / {flag} is '{value}'; it must be a whole number from {min} to {max}.");
        }

        return number;
    }

    private static string NonEmpty(string value, string variable, string flag)
    {
        if (string.IsNullOrWhiteSpace(value))
        {
            throw new SettingsException($"{variable} / {flag} is empty; give it a file path such as /tmp/mesh.db.");
        }

        return value;
    }

    private static string Host(string value)
    {
        string trimmed = value.Trim('[', ']');
        if (value is "localhost" || IPAddress.TryParse(trimmed, out _))
        {
            return value is "localhost" ? "127.0.0.1" : trimmed;
        }

        throw new SettingsException($"MESHFLEET_SSE_HOST / --sse-host is '{value}'; it must be an IP address such as 127.0.0.1 (loopback, the default) or 0.0.0.0.");
    }

    private static string NatsUrl(string value)
    {
        foreach (string url in value.Split(',', StringSplitOptions.TrimEntries))
        {
            if (!Uri.TryCreate(url.Contains("://", StringComparison.Ordinal) ? url : "nats://" + url, UriKind.Absolute, out Uri? uri)
                || uri.Scheme is not ("nats" or "tls" or "ws" or "wss") || string.IsNullOrEmpty(uri.Host))
            {
                throw new SettingsException($"MESHFLEET_NATS_URL / --nats-url has '{url}'; use nats://host:4222 (or tls://, ws://, wss://), several separated by commas.");
            }
        }

        return value;
    }

    private static string NatsName(string value) =>
        value.Length is > 0 and <= 32 && value.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')
            ? value
            : throw new SettingsException($"MESHFLEET_NATS_MESH / --nats-mesh is '{value}'; use 1-32 letters, digits, '-' or '_' (it names a stream and buckets).");

    private static string? ExistingFile(string value, string variable, string flag) =>
        string.IsNullOrEmpty(value) ? null
            : File.Exists(value) ? value
            : throw new SettingsException($"{variable} / {flag} is '{value}', which is not a readable file; give the path of the PEM or credentials file.");

    private static bool OnOff(string value, string variable, string flag) => value.ToLowerInvariant() switch
    {
        "on" or "true" or "1" => true,
        "off" or "false" or "0" => false,
        _ => throw new SettingsException($"{variable} / {flag} is '{value}'; use on or off."),
    };

    private static string AgentId(string value)
    {
        try
        {
            return Meshfleet.Core.Messaging.InputRules.AgentId(value, "MESHFLEET_AGENT_ID / --agent");
        }
        catch (Meshfleet.Core.Messaging.MeshInputException ex)
        {
            throw new SettingsException(ex.Message);
        }
    }

    private static Uri HttpUrl(string value) =>
        Uri.TryCreate(value, UriKind.Absolute, out Uri? uri) && (uri.Scheme == Uri.UriSchemeHttp || uri.Scheme == Uri.UriSchemeHttps)
            ? uri
            : throw new SettingsException($"MESHFLEET_EMBEDDING_URL / --embedding-url is '{value}'; it must be an http(s) URL such as http://127.0.0.1:11434/v1/embeddings.");

    private static bool Durability(string value) => value.ToLowerInvariant() switch
    {
        "normal" => false,
        "full" => true,
        _ => throw new SettingsException($"MESHFLEET_DURABILITY / --durability is '{value}'; use 'normal' (survives process crashes) or 'full' (fsync every commit, survives power loss)."),
    };

    private static Microsoft.Extensions.Logging.LogLevel LogLevel(string value) => value.ToLowerInvariant() switch
    {
        "trace" => Microsoft.Extensions.Logging.LogLevel.Trace,
        "debug" => Microsoft.Extensions.Logging.LogLevel.Debug,
        "information" => Microsoft.Extensions.Logging.LogLevel.Information,
        "warning" => Microsoft.Extensions.Logging.LogLevel.Warning,
        "error" => Microsoft.Extensions.Logging.LogLevel.Error,
        "critical" => Microsoft.Extensions.Logging.LogLevel.Critical,
        "none" => Microsoft.Extensions.Logging.LogLevel.None,
        _ => throw new SettingsException($"MESHFLEET_LOG_LEVEL / --log-level is '{value}'; use trace, debug, information, warning, error or none."),
    };
}
