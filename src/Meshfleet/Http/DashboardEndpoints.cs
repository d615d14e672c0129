using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace Meshfleet.Http;

/// <summary>
/// The web dashboard at <c>/</c>: one self-contained page that polls <c>/api/overview</c> (agents with presence, fleets,
/// streams, cursor). It sits behind the same Host/Origin checks and token as every other endpoint.
/// </summary>
internal static class DashboardEndpoints
{
    public static void MapDashboard(this IEndpointRouteBuilder routes, Mesh mesh, AgentRegistry registry)
    {
        routes.MapGet("/", (HttpContext context) =>
        {
            // Agent names and descriptions are rendered with textContent, and nothing but this page's own script may run.
            context.Response.Headers.ContentSecurityPolicy = "default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; connect-src 'self'";
            return TypedResults.Content(DashboardPage.Html, "text/html; charset=utf-8");
        });
        routes.MapGet("/api/overview", async (CancellationToken cancellationToken) =>
        {
            IReadOnlyList<AgentView> agents = await registry.ListAgentsAsync(null, cancellationToken);
            IReadOnlyList<FleetView> fleets = await registry.ListFleetsAsync(cancellationToken);
            var overview = new MeshOverview(ProductInfo.Version, mesh.Store.StoreId, mesh.Hub.Cursor, agents, fleets, mesh.Hub.SnapshotStreams());
            return TypedResults.Json(overview, MeshfleetJsonContext.Default.MeshOverview);
        });
    }
}
