using Meshfleet.Core.Routing;

namespace Meshfleet.Storage.Nats;

/// <summary>Routed hand-offs, one key per routed message.</summary>
public sealed class NatsRouteLog : IRouteLog
{
    private readonly NatsMesh _mesh;

    public NatsRouteLog(NatsMesh mesh)
    {
        _mesh = mesh;
    }

    public async ValueTask RecordAsync(RouteRecord record, CancellationToken cancellationToken) =>
        await _mesh.Routes.PutAsync(NatsNames.MessageKey(record.MessageId), record, NatsStoreJsonContext.Default.RouteRecord, cancellationToken).ConfigureAwait(false);
}
