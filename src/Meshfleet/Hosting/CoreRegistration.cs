using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Streaming;
using Microsoft.Extensions.DependencyInjection;

namespace Meshfleet.Hosting;

/// <summary>Registers the mesh's core services; they consume the storage roles a backend registration provides.</summary>
internal static class CoreRegistration
{
    public static IServiceCollection AddMeshfleetCore(this IServiceCollection services, MeshfleetSettings settings)
    {
        services.AddSingleton(settings.Streams);
        services.AddSingleton<StreamHub>();
        services.AddSingleton(settings.Limits);
        services.AddSingleton(settings.Retry);
        services.AddSingleton<Mesh>();
        services.AddSingleton<AgentRegistry>();
        services.AddSingleton<Questions>();
        services.AddSingleton<Watchdog>();
        services.AddSingleton<Redeliverer>();
        services.AddSingleton<PushLog>();
        services.AddSingleton<PresenceReporter>();
        services.AddSingleton<DeliveryPump>();
        services.AddSingleton(new RoutingOptions());
        services.AddSingleton<AgentRouter>();
        return services;
    }
}
