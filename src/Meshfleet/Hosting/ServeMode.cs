namespace Meshfleet.Hosting;

/// <summary>How this process serves MCP: over stdio (spawned by a client) or over HTTP at /mcp (<c>meshfleet serve</c>).</summary>
internal sealed record ServeMode(bool ServeMcpOverHttp);
