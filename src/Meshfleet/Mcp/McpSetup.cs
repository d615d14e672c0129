using System.Text.Json.Nodes;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol;
using ModelContextProtocol.Protocol;
using ModelContextProtocol.Server;

namespace Meshfleet.Mcp;

/// <summary>Gives an MCP server (stdio or HTTP) Meshfleet's identity, instructions and tools.</summary>
internal static class McpSetup
{
    /// <summary>The request a client sends first to learn whether the server speaks the 2026-07-28 revision.</summary>
    private const string DiscoverMethod = "server/discover";

    public static IMcpServerBuilder AddMeshfleetMcp(this IServiceCollection services, string? boundAgentId, ToolCatalog? catalog = null)
    {
        IMcpServerBuilder builder = services.AddMcpServer(options =>
        {
            options.ServerInfo = new Implementation { Name = ProductInfo.Name, Version = ProductInfo.Version };
            options.ServerInstructions = ToolCatalog.InstructionsFor(boundAgentId);
        });
        builder.WithListToolsHandler((request, _) =>
        {
            ToolCatalog tools = catalog ?? request.Services!.GetRequiredService<ToolCatalog>();
            return ValueTask.FromResult(new ListToolsResult { Tools = tools.Definitions });
        });
        builder.WithCallToolHandler((request, cancellationToken) =>
        {
            ToolCatalog tools = catalog ?? request.Services!.GetRequiredService<ToolCatalog>();
            return tools.CallAsync(request, cancellationToken);
        });
        return builder;
    }

    /// <summary>
    /// Makes a stdio server one that Claude Code can wake: it declares the <c>claude/channel</c> capability, and it answers
    /// <c>server/discover</c> with "method not found". Claude Code probes that method first; a server that lists the
    /// 2026-07-28 revision gets a "modern" connection, which has no path for unsolicited notifications, so the channel
    /// would be dropped. Refused, the client falls back to <c>initialize</c> (2025-11-25 and older), where it works.
    /// </summary>
    public static IMcpServerBuilder WithClaudeChannel(this IMcpServerBuilder builder, SessionBinding binding)
    {
        builder.Services.Configure<McpServerOptions>(options =>
        {
            options.Capabilities ??= new ServerCapabilities();
            options.Capabilities.Experimental ??= new Dictionary<string, object>();
            options.Capabilities.Experimental[ClaudeChannel.Capability] = new JsonObject();
        });
        builder.WithMessageFilters(filters => filters.AddIncomingFilter(next => async (context, cancellationToken) =>
        {
            switch (context.JsonRpcMessage)
            {
                case JsonRpcRequest { Method: DiscoverMethod } discover:
                    await context.Server.SendMessageAsync(
                        new JsonRpcError
                        {
                            Id = discover.Id,
                            Error = new JsonRpcErrorDetail
                            {
                                Code = (int)McpErrorCode.MethodNotFound,
                                Message = "Method not found: server/discover. Use initialize (protocol 2025-11-25 or older).",
                            },
                        },
                        cancellationToken).ConfigureAwait(false);
                    return;
                case JsonRpcNotification { Method: NotificationMethods.InitializedNotification }:
                    await next(context, cancellationToken).ConfigureAwait(false);
                    binding.Connected(context.Server);
                    return;
                default:
                    await next(context, cancellationToken).ConfigureAwait(false);
                    return;
            }
        }));
        return builder;
    }
}
