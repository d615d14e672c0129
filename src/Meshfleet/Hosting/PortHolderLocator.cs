using System.Net.Http.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Storage;
using Meshfleet.Json;
using Meshfleet.Mcp;

namespace Meshfleet.Hosting;

/// <summary>
/// Knows where this mesh's port holder is (the process serving the HTTP port: streams, dashboard, and in <c>serve</c>
/// mode /mcp): this process when it holds the port, else whichever Meshfleet process does (confirmed by its store id, so
/// a stream URL never points at another mesh). <see cref="PortHolderElection"/> updates it.
/// </summary>
internal sealed class PortHolderLocator : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly MeshfleetSettings _settings;
    private readonly IMessageLog _store;
    private readonly HttpClient _http = new() { Timeout = ProbeTimeout };
    private volatile string? _baseUrl;

    public PortHolderLocator(MeshfleetSettings settings, IMessageLog store)
    {
        _settings = settings;
        _store = store;
    }

    /// <summary>True while this process holds the HTTP port and serves streams.</summary>
    public bool IsPortHolder => _baseUrl is not null;

    /// <summary>This process's own stream base URL while it holds the port.</summary>
    public string? BaseUrl => _baseUrl;

    /// <summary>Why this process may not serve the store over HTTP (it is token-protected), or null.</summary>
    public string? Refusal { get; internal set; }

    /// <summary>The port the listener is bound to, while this process holds the port.</summary>
    public int? BoundPort { get; private set; }

    /// <summary>The configured port other processes are reached on.</summary>
    public int WakePort => BoundPort ?? _settings.SsePort;

    /// <summary>Raised after this process took the port or left it (a backend's change signal follows it).</summary>
    public event Action? PortHolderChanged;

    internal void TookPort(int port)
    {
        BoundPort = port;
        _baseUrl = _settings.BaseUrlFor(port);
        PortHolderChanged?.Invoke();
    }

    internal void LeftPort()
    {
        _baseUrl = null;
        BoundPort = null;
        PortHolderChanged?.Invoke();
    }

    /// <summary>The base URL of the port holder serving this mesh's streams, or an explanation of why there is none.</summary>
    public async ValueTask<string> ResolveStreamBaseAsync(CancellationToken cancellationToken)
    {
        string? local = _baseUrl;
        if (local is not null)
        {
            return local;
        }

        if (Refusal is { } refusal)
        {
            throw new StreamUnavailableException(
                $"No stream URL from this process: {refusal}. Set MESHFLEET_TOKEN to the mesh's token (stream URLs carry a capability derived from it); get_inbox works meanwhile.");
        }

        string remote = _settings.PublicBaseUrl;
        HealthReport? health;
        try
        {
            health = await _http.GetFromJsonAsync(remote + "/healthz", MeshfleetJsonContext.Default.HealthReport, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is HttpRequestException or TaskCanceledException or System.Text.Json.JsonException && !cancellationToken.IsCancellationRequested)
        {
            throw new StreamUnavailableException(
                $"No live stream right now: port {_settings.SsePort} is held by a program that is not a Meshfleet hub, or the port holder is restarting. " +
                "Poll get_inbox meanwhile (nothing is lost), retry in a second, or give this mesh its own port with MESHFLEET_SSE_PORT.");
        }

        if (health is null || health.StoreId != _store.StoreId)
        {
            throw new StreamUnavailableException(
                $"No live stream: port {_settings.SsePort} is held by a Meshfleet serving a different store, so its streams would not carry this mesh's messages. " +
                "Point both at the same store (MESHFLEET_DB, or MESHFLEET_NATS_URL and MESHFLEET_NATS_MESH), or give this mesh its own MESHFLEET_SSE_PORT; get_inbox works meanwhile.");
        }

        return remote;
    }

    public void Dispose() => _http.Dispose();
}
