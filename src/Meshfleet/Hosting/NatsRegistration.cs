using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Meshfleet.Storage.Nats;
using Microsoft.Extensions.DependencyInjection;

namespace Meshfleet.Hosting;

/// <summary>
/// Registers the NATS JetStream backend (<c>MESHFLEET_NATS_URL</c>): every store role on one connection to the mesh's
/// stream and buckets. Every process pointed at the same server and mesh name serves the same mesh, from any machine.
/// </summary>
internal static class NatsRegistration
{
    private static readonly TimeSpan OpenTimeout = TimeSpan.FromSeconds(30);

    public static IServiceCollection AddMeshfleetNats(this IServiceCollection services, MeshfleetSettings settings)
    {
        var options = new NatsStoreOptions
        {
            Url = settings.NatsUrl!,
            Mesh = settings.NatsMesh,
            Replicas = settings.NatsReplicas,
            CredentialsFile = settings.NatsCredentialsFile,
            Token = settings.NatsToken,
            User = settings.NatsUser,
            Password = settings.NatsPassword,
            TlsCaFile = settings.NatsCaFile,
            TlsCertFile = settings.NatsCertFile,
            TlsKeyFile = settings.NatsKeyFile,
        };

        // Opened before hosting starts (as the SQLite file is), so an unreachable server fails with one clear line.
        using var timeout = new CancellationTokenSource(OpenTimeout);
        (NatsMesh mesh, NatsMessageStore store) = OpenAsync(options, timeout.Token).GetAwaiter().GetResult();
        services.AddSingleton(_ => mesh);
        services.AddSingleton(_ => store);
        services.AddSingleton<IMessageLog>(sp => sp.GetRequiredService<NatsMessageStore>());
        services.AddSingleton(store.Traits);
        services.AddSingleton<IAgentDirectory>(sp => new NatsAgentDirectory(sp.GetRequiredService<NatsMesh>()));
        services.AddSingleton<IDeliveryLedger>(sp => new NatsDeliveryLedger(sp.GetRequiredService<NatsMesh>(), sp.GetRequiredService<NatsMessageStore>()));
        services.AddSingleton<IAgentKeyStore>(sp => new NatsAgentKeys(sp.GetRequiredService<NatsMesh>()));
        services.AddSingleton<IEmbeddingStore>(sp => new NatsEmbeddingStore(sp.GetRequiredService<NatsMesh>()));
        services.AddSingleton<IRouteLog>(sp => new NatsRouteLog(sp.GetRequiredService<NatsMesh>()));
        services.AddSingleton<IStoreMeta>(sp => new NatsMeta(sp.GetRequiredService<NatsMesh>()));
        services.AddSingleton(sp => new NatsRedeliveries(sp.GetRequiredService<NatsMesh>()));
        services.AddHostedService<NatsBanner>();
        services.AddHostedService<NatsRedeliveryRelay>();
        return services;
    }

    private static async Task<(NatsMesh, NatsMessageStore)> OpenAsync(NatsStoreOptions options, CancellationToken cancellationToken)
    {
        NatsMesh mesh;
        try
        {
            mesh = await NatsMesh.OpenAsync(options, cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            throw new StoreFailureException($"NATS at {options.RedactedUrl} did not answer within {OpenTimeout.TotalSeconds:0} s. Check MESHFLEET_NATS_URL / --nats-url and that nats-server runs with JetStream.", ex);
        }

        try
        {
            return (mesh, await NatsMessageStore.OpenAsync(mesh, TimeProvider.System, cancellationToken).ConfigureAwait(false));
        }
        catch
        {
            await mesh.DisposeAsync().ConfigureAwait(false);
            throw;
        }
    }
}
