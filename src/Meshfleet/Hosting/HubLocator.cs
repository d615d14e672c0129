using System.Net.Http.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Storage;
using Meshfleet.Json;
using Meshfleet.Mcp;

namespace Meshfleet.Hosting;

/// <summary>
/// Knows where this mesh's push hub is: this process when it holds the HTTP port, else whichever Meshfleet process does
/// (confirmed by its store id, so a stream URL never points at another mesh).
/// </summary>
internal sealed class HubLocator : IDisposable
{
    private static readonly TimeSpan ProbeTimeout = TimeSpan.FromSeconds(2);
    private readonly MeshfleetSettings _settings;
    private readonly IMessageLog _store;
    private readonly HttpClient _http = new() { Timeout = ProbeTimeout };
    private volatile string? _hubBaseUrl;

    public HubLocator(MeshfleetSettings settings, IMessageLog store)
    {
        _settings = settings;
        _store = store;
    }

    /// <summary>True while this process holds the HTTP port and serves streams.</summary>
    public bool IsHub => _hubBaseUrl is not null;

    /// <summary>This process's own stream base URL while it is the hub.</summary>
    public string? HubBaseUrl => _hubBaseUrl;

    /// <summary>Why this process may not serve the store over HTTP (it is token-protected), or null.</summary>
    public string? Refusal { get; internal set; }

    /// <summary>The port the listener is bound to, once this process is the hub.</summary>
    public int? BoundPort { get; private set; }

    /// <summary>The configured port other processes are reached on.</summary>
    public int WakePort => BoundPort ?? _settings.SsePort;

    /// <summary>Raised after this process became the hub or left the role (a backend's change signal follows it).</summary>
    public event Action? HubChanged;

    internal void BecameHub(int port)
    {
        BoundPort = port;
        _hubBaseUrl = _settings.BaseUrlFor(port);
        HubChanged?.Invoke();
    }

    internal void LeftHub()
    {
        _hubBaseUrl = null;
        BoundPort = null;
        HubChanged?.Invoke();
    }

    /// <summary>The base URL of the hub serving this mesh's streams, or an explanation of why there is none.</summary>
    public async ValueTask<string> ResolveStreamBaseAsync(CancellationToken cancellationToken)
    {
        string? local = _hubBaseUrl;
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
                $"No live stream right now: port {_settings.SsePort} is held by a program that is not a Meshfleet hub, or the hub is restarting. " +
                "Poll get_inbox meanwhile (nothing is lost), retry in a second, or give this mesh its own port with MESHFLEET_SSE_PORT.");
        }

        if (health is null || health.StoreId != _store.StoreId)
        {
            throw new StreamUnavailableException(
                $"No live stream: port {_settings.SsePort} is held by a Meshfleet serving a different store, so its streams would not carry this mesh's messages. " +
                "Point both at the same MESHFLEET_DB, or give this mesh its own MESHFLEET_SSE_PORT; get_inbox works meanwhile.");
        }

        return remote;
    }

    public void Dispose() => _http.Dispose();
}
