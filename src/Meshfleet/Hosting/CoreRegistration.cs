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
        services.AddSingleton(new StreamHubOptions
        {
            MaxStreamsPerAgent = settings.MaxStreamsPerAgent,
            MaxStreams = settings.MaxStreams,
            SubscriberBuffer = settings.SubscriberBuffer,
            SubscriberBufferBytes = settings.SubscriberBufferBytes,
        });
        services.AddSingleton<StreamHub>();
        services.AddSingleton(new MeshLimits { MaxPayloadBytes = settings.MaxPayloadBytes });
        services.AddSingleton(new RetryPolicy { BaseDelay = settings.AckBaseDelay, MaxAttempts = settings.AckMaxAttempts });
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
