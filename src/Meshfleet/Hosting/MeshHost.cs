using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Meshfleet.Core.Streaming;
using Meshfleet.Embeddings;
using Meshfleet.Identity;
using Meshfleet.Mcp;
using Meshfleet.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshfleet.Hosting;

/// <summary>Wires a Meshfleet process: store, hub, pump, tools, and the MCP transport of its mode.</summary>
internal static class MeshHost
{
    public static IHost Build(MeshfleetSettings settings, ServeMode mode)
    {
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        LoggingSetup.Configure(builder.Logging, settings);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(mode);
        builder.Services.AddSingleton(TimeProvider.System);

        // Opened here rather than lazily inside the host: a store this build must refuse (a newer schema, an unreachable
        // NATS server) then fails before hosting starts, with one clean line from Program instead of the host's
        // startup-failure stack trace. Registered through a factory so the container still owns and disposes it.
        try
        {
            if (settings.NatsUrl is not null)
            {
                NatsHosting.AddNatsStore(builder.Services, settings);
            }
            else
            {
                AddSqliteStore(builder.Services, settings);
            }
        }
        catch (Exception ex) when (!mode.ServeMcpOverHttp && ex is StoreFailureException or StoreVersionException)
        {
            // A stdio server that exits is only "Connection closed" in the client: stay up and answer with the reason.
            Console.Error.WriteLine("meshfleet: " + ex.Message);
            return StoreUnavailableHost.Build(settings, ex.Message);
        }

        builder.Services.AddSingleton(new StreamHubOptions
        {
            MaxStreamsPerAgent = settings.MaxStreamsPerAgent,
            MaxStreams = settings.MaxStreams,
            SubscriberBuffer = settings.SubscriberBuffer,
            SubscriberBufferBytes = settings.SubscriberBufferBytes,
        });
        builder.Services.AddSingleton<StreamHub>();
        builder.Services.AddSingleton(new MeshLimits { MaxPayloadBytes = settings.MaxPayloadBytes });
        builder.Services.AddSingleton(new RetryPolicy { BaseDelay = settings.AckBaseDelay, MaxAttempts = settings.AckMaxAttempts });
        builder.Services.AddSingleton<Mesh>();
        builder.Services.AddSingleton<AgentRegistry>();
        builder.Services.AddSingleton<Questions>();
        builder.Services.AddSingleton<Watchdog>();
        builder.Services.AddSingleton<Redeliverer>();
        builder.Services.AddSingleton<PushLog>();
        builder.Services.AddSingleton<PresenceReporter>();
        builder.Services.AddSingleton<DeliveryPump>();
        builder.Services.AddSingleton<HubLocator>();
        builder.Services.AddSingleton<StoreProtection>();
        builder.Services.AddSingleton<DutyLease>();
        builder.Services.AddSingleton<HubWake>();
        // Constructing the embedder loads nothing: the model loads on the first routing call, off the start-up path.
        builder.Services.AddSingleton(_ => EmbedderFactory.Create(settings.EmbeddingModel, settings.EmbeddingUrl));
        builder.Services.AddSingleton(new RoutingOptions());
        builder.Services.AddSingleton<AgentRouter>();
        builder.Services.AddSingleton<AgentIdentity>();
        builder.Services.AddSingleton<ToolCatalog>();
        builder.Services.AddHostedService<HubService>();
        if (!mode.ServeMcpOverHttp)
        {
            // Our own stdin wrapper rather than WithStdioServerTransport: the end of input must also cancel pending waits.
            var connection = new ClientConnection();
            builder.Services.AddSingleton(connection);
            IMcpServerBuilder mcp = builder.Services.AddMeshfleetMcp(settings.AgentId).WithStreamServerTransport(
                new ClientInputStream(Console.OpenStandardInput(), connection),
                new BufferedStream(Console.OpenStandardOutput()));
            if (settings.AgentId is not null)
            {
                var binding = new SessionBinding();
                builder.Services.AddSingleton(binding);
                mcp.WithClaudeChannel(binding);
                builder.Services.AddHostedService<ClaudeChannel>();
            }
        }

        return builder.Build();
    }

    /// <summary>The embedded default: one SQLite file, opened now so a store this build must refuse fails before hosting.</summary>
    private static void AddSqliteStore(IServiceCollection services, MeshfleetSettings settings)
    {
        SqliteMessageStore store = SqliteMessageStore.Open(
            new SqliteStoreOptions { Path = settings.DatabasePath, SyncEveryCommit = settings.SyncEveryCommit, PollInterval = settings.PollInterval },
            TimeProvider.System);
        services.AddSingleton<IMessageStore>(_ => store);
        services.AddSingleton(sp => (SqliteMessageStore)sp.GetRequiredService<IMessageStore>());
        services.AddSingleton<IRegistryStore>(sp => new SqliteRegistry(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IStoreMeta>(sp => new SqliteMeta(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IEmbeddingStore>(sp => new SqliteEmbeddingStore(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IRouteLog>(sp => new SqliteRouteLog(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IAgentKeyStore>(sp => new SqliteAgentKeys(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddHostedService<StoreBanner>();
    }
}
