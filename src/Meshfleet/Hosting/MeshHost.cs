using Meshfleet.Configuration;
using Meshfleet.Core.Storage;
using Meshfleet.Embeddings;
using Meshfleet.Http;
using Meshfleet.Identity;
using Meshfleet.Mcp;
using Meshfleet.Storage.Sqlite;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;

namespace Meshfleet.Hosting;

/// <summary>
/// Wires a Meshfleet process as one <see cref="WebApplication"/>: store, core, tools, the MCP transport of its mode, the
/// HTTP surface, and one hosted service per job (delivery pump, port holder election, periodic duties).
/// </summary>
internal static class MeshHost
{
    public static IHost Build(MeshfleetSettings settings, ServeMode mode)
    {
        // The empty builder, not the slim one: settings come from SettingsCatalog alone. The slim builder also reads
        // appsettings*.json from the working directory (a client spawns us in the user's project, whose appsettings.json
        // "Logging" section would then set our log levels) and watches that directory tree for changes: a thread, an
        // inotify watch per subdirectory and managed state for each (idle RSS of a holder spawned in /usr: +6.7 MiB).
        WebApplicationBuilder builder = WebApplication.CreateEmptyBuilder(new WebApplicationOptions { Args = [] });
        builder.WebHost.UseKestrelCore();
        builder.Services.AddRoutingCore();
        LoggingSetup.Configure(builder.Logging, settings);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);
        builder.Services.Configure<HostOptions>(o => o.ShutdownTimeout = TimeSpan.FromSeconds(10));
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(mode);
        builder.Services.AddSingleton(TimeProvider.System);

        // Opened here rather than lazily inside the host: a store this build must refuse (a newer schema, an unreachable
        // NATS server) then fails before hosting starts, with one clean line from Program instead of the host's
        // startup-failure stack trace.
        try
        {
            if (settings.NatsUrl is not null)
            {
                builder.Services.AddMeshfleetNats(settings);
            }
            else
            {
                builder.Services.AddMeshfleetSqlite(SqliteMessageStore.Open(settings.SqliteStore, TimeProvider.System));
                builder.Services.AddHostedService<StoreBanner>();
            }
        }
        catch (Exception ex) when (!mode.ServeMcpOverHttp && ex is StoreFailureException or StoreVersionException)
        {
            // A stdio server that exits is only "Connection closed" in the client: stay up and answer with the reason.
            Console.Error.WriteLine("meshfleet: " + ex.Message);
            return StoreUnavailableHost.Build(settings, ex.Message);
        }

        builder.Services.AddMeshfleetCore(settings);
        builder.Services.AddSingleton<PortHolderLocator>();
        builder.Services.AddSingleton<StoreProtection>();
        builder.Services.AddSingleton<DutyLease>();
        // Constructing the embedder loads nothing: the model loads on the first routing call, off the start-up path.
        builder.Services.AddSingleton(_ => EmbedderFactory.Create(settings.EmbeddingModel, settings.EmbeddingUrl));
        builder.Services.AddSingleton<AgentIdentity>();
        builder.Services.AddSingleton<ToolCatalog>();
        builder.Services.AddSingleton(new DutyPeriods());
        builder.AddHttpSurface(mode.ServeMcpOverHttp, settings.AgentId);

        // Started in this order, stopped in reverse: the duties stop (and give the duty lease up) before the port is
        // released, and the pump last, after the streams it feeds.
        builder.Services.AddHostedService<DeliveryPumpService>();
        builder.Services.AddHostedService<PortHolderElection>();
        builder.Services.AddHostedService<PeriodicDuties>();
        if (!mode.ServeMcpOverHttp)
        {
            // Our own stdin and stdout wrappers rather than WithStdioServerTransport: the end of input must also cancel
            // pending waits, and a response is written with one synchronous write rather than two thread-pool hops.
            var connection = new ClientConnection();
            builder.Services.AddSingleton(connection);
            IMcpServerBuilder mcp = builder.Services.AddMeshfleetMcp(settings.AgentId).WithStreamServerTransport(
                new ClientInputStream(Console.OpenStandardInput(), connection),
                new ClientOutputStream(Console.OpenStandardOutput()));
            if (settings.AgentId is not null)
            {
                var binding = new SessionBinding();
                builder.Services.AddSingleton(binding);
                mcp.WithClaudeChannel(binding);
                builder.Services.AddHostedService<ClaudeChannel>();
            }
        }

        WebApplication app = builder.Build();
        app.MapHttpSurface(mode.ServeMcpOverHttp);
        return app;
    }
}
