namespace Meshfleet.Storage.Nats;

/// <summary>How to reach the NATS server and which mesh on it to use.</summary>
public sealed record NatsStoreOptions
{
    /// <summary>The server URL, e.g. <c>nats://10.0.0.5:4222</c>; several comma-separated for a cluster.</summary>
    public required string Url { get; init; }

    /// <summary>The mesh's name: one stream and one set of buckets per name, so several meshes can share a server.</summary>
    public string Mesh { get; init; } = "default";

    /// <summary>Replicas of the stream and buckets when this process creates them (existing ones keep theirs).</summary>
    public int Replicas { get; init; } = 1;

    /// <summary>A NATS credentials file (JWT and NKey seed), for servers with decentralised auth.</summary>
    public string? CredentialsFile { get; init; }

    public string? Token { get; init; }

    public string? User { get; init; }

    public string? Password { get; init; }

    /// <summary>A CA certificate (PEM) to trust for the server's TLS certificate.</summary>
    public string? TlsCaFile { get; init; }

    /// <summary>A client certificate (PEM) for servers that require mutual TLS, with <see cref="TlsKeyFile"/>.</summary>
    public string? TlsCertFile { get; init; }

    public string? TlsKeyFile { get; init; }

    /// <summary>How long a send's idempotency key keeps returning the first message (at least 24 h).</summary>
    public TimeSpan IdempotencyWindow { get; init; } = TimeSpan.FromDays(7);

    /// <summary>The URL without any user or password in it, for logs and errors.</summary>
    public string RedactedUrl => string.Join(',', Url.Split(',').Select(Redact));

    private static string Redact(string url)
    {
        int at = url.IndexOf('@', StringComparison.Ordinal);
        int scheme = url.IndexOf("://", StringComparison.Ordinal);
        return at < 0 ? url.Trim() : (scheme >= 0 ? url[..(scheme + 3)] : string.Empty) + "***@" + url[(at + 1)..].Trim();
    }
}
