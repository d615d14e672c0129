using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Hosting;
using Meshfleet.Json;
using Meshfleet.Mcp;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using ModelContextProtocol.AspNetCore;

namespace Meshfleet.Http;

/// <summary>
/// The HTTP surface of the port holder: /healthz, the inbox streams, the plain inbox API (/inbox/{agent_id}/messages),
/// the dashboard and, in <c>serve</c> mode, MCP over Streamable HTTP at /mcp. It lives in the process's one
/// <see cref="WebApplication"/>, on the app's own container; <see cref="PortServer"/> serves it only while this process
/// holds the port.
/// </summary>
internal static class HttpSurface
{
    /// <summary>Registers the server that <see cref="PortHolderElection"/> binds, JSON, and the MCP HTTP transport in serve mode.</summary>
    public static void AddHttpSurface(this WebApplicationBuilder builder, bool serveMcp, string? boundAgentId)
    {
        builder.Services.AddSingleton<PortServer>();
        builder.Services.AddSingleton<IServer>(sp => sp.GetRequiredService<PortServer>());
        builder.Services.ConfigureHttpJsonOptions(o => o.SerializerOptions.TypeInfoResolverChain.Insert(0, MeshfleetJsonContext.Default));
        if (serveMcp)
        {
            // Hybrid: clients that send initialize (2025-11-25 and older) get a session with an Mcp-Session-Id as before;
            // 2026-07-28 clients (server/discover, no initialize, no session) are served per request on the same /mcp.
            // Our inbox streams (/inbox/{agent_id}/stream) keep their own resumability either way.
            builder.Services.AddMeshfleetMcp(boundAgentId)
                .WithHttpTransport(o => o.SessionMode = HttpServerSessionMode.StatefulForInitializeClients);
        }
    }

    /// <summary>Builds the request pipeline and maps the endpoints.</summary>
    public static void MapHttpSurface(this WebApplication app, bool serveMcp)
    {
        MeshfleetSettings settings = app.Services.GetRequiredService<MeshfleetSettings>();
        Mesh mesh = app.Services.GetRequiredService<Mesh>();
        IMessageLog store = app.Services.GetRequiredService<IMessageLog>();
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
        app.MapInboxApi();
        app.MapDashboard(mesh, app.Services.GetRequiredService<AgentRegistry>());
        if (serveMcp)
        {
            app.MapMcp("/mcp");
        }

        app.MapFallback((HttpContext context) => HttpErrors.Result(
            StatusCodes.Status404NotFound,
            "not_found",
            $"Nothing at {context.Request.Method} {context.Request.Path}. Endpoints: GET / (dashboard), GET /healthz, GET /inbox/{{agent_id}}/stream, GET and POST /inbox/{{agent_id}}/messages (docs/api.md)" + (serveMcp ? ", POST /mcp." : ".")));
    }
}
