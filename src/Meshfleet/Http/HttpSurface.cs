using System.Net;
using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Hosting;
using Meshfleet.Json;
using Meshfleet.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;

namespace Meshfleet.Http;

/// <summary>
/// Builds the HTTP listener of the hub: /healthz, the inbox streams and, in <c>serve</c> mode, MCP over Streamable HTTP at /mcp.
/// </summary>
internal static class HttpSurface
{
    public static WebApplication Build(MeshfleetSettings settings, Mesh mesh, AgentRegistry registry, IMessageLog store, ToolCatalog catalog, bool serveMcp)
    {
        WebApplicationBuilder builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        LoggingSetup.Configure(builder.Logging, settings);

        // HubService handles a listener that cannot start (the port was taken meanwhile) and says so in one line; the
        // nested host would also log it as a failure with a stack trace.
        builder.Logging.AddFilter("Microsoft.Extensions.Hosting.Internal.Host", LogLevel.Critical);
        builder.WebHost.ConfigureKestrel(kestrel =>
        {
            kestrel.AddServerHeader = false;
            kestrel.Limits.MaxRequestBodySize = settings.MaxRequestBytes;
            kestrel.Listen(IPAddress.Parse(settings.SseHost), settings.SsePort);
        });
        builder.Services.AddSingleton(settings);
        builder.Services.AddSingleton(mesh);
        builder.Services.AddSingleton(store);
        builder.Services.AddSingleton(catalog);
        builder.Services.AddSingleton(catalog.Identity);
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MeshfleetJsonContext.Default));
        if (serveMcp)
        {
            // Hybrid: clients that send initialize (2025-11-25 and older) get a session with an Mcp-Session-Id as before;
            // 2026-07-28 clients (server/discover, no initialize, no session) are served per request on the same /mcp.
            // Our inbox streams (/inbox/{agent_id}/stream) keep their own resumability either way.
            builder.Services.AddMeshfleetMcp(settings.AgentId, catalog)
                .WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.StatefulForInitializeClients);
        }

        WebApplication app = builder.Build();
        app.UseMiddleware<HostValidationMiddleware>();
        app.UseRouting();
        app.UseMiddleware<BearerTokenMiddleware>();
        if (serveMcp)
        {
            app.UseWhen(
                context => context.Request.Path.StartsWithSegments("/mcp", StringComparison.Ordinal),
                branch => branch.UseMiddleware<McpRequestGuard>(settings.MaxRequestBytes));
        }

        app.MapGet("/healthz", () => TypedResults.Json(
            new HealthReport("ok", ProductInfo.Version, store.StoreId, Environment.ProcessId, mesh.Hub.Cursor),
            MeshfleetJsonContext.Default.HealthReport));
        app.MapGet("/inbox/{agent_id}/stream", InboxStreamEndpoint.HandleAsync);
        app.MapDashboard(mesh, registry);
        if (serveMcp)
        {
            app.MapMcp("/mcp");
        }

        app.MapFallback((HttpContext context) => HttpErrors.Result(
            StatusCodes.Status404NotFound,
            "not_found",
            $"Nothing at {context.Request.Method} {context.Request.Path}. Endpoints: GET / (dashboard), GET /healthz, GET /inbox/{{agent_id}}/stream" + (serveMcp ? ", POST /mcp." : ".")));
        return app;
    }
}
