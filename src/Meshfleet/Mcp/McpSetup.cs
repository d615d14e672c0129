using System.Text.Json.Nodes;
using Meshfleet.Hosting;
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

            // Our handlers use singletons only: no DI scope to create and dispose per request (stdio and HTTP sessions;
            // the SDK already serves 2026-07-28 HTTP requests without one).
            options.ScopeRequests = false;
        });
        builder.WithParamsCheck();

        // The catalog and the stdio connection are singletons of this server's container: resolved on the first call,
        // not on every one (published together, so a call never sees one without the other).
        Resolved? resolved = null;
        builder.WithListToolsHandler((request, _) =>
        {
            resolved ??= Resolved.From(request.Services!, catalog);
            return ValueTask.FromResult(new ListToolsResult { Tools = resolved.Tools.Definitions });
        });
        builder.WithCallToolHandler((request, cancellationToken) =>
        {
            resolved ??= Resolved.From(request.Services!, catalog);

            // Over stdio, a client that closes stdin is gone: its pending long polls and asks end now, not at their timeout.
            // Over HTTP there is no such connection and the request's own token is enough.
            return resolved.Connection is null
                ? resolved.Tools.CallAsync(request, cancellationToken)
                : CallLinkedAsync(resolved.Tools, request, resolved.Connection.Closed, cancellationToken);
        });
        return builder;
    }

    private sealed record Resolved(ToolCatalog Tools, ClientConnection? Connection)
    {
        public static Resolved From(IServiceProvider services, ToolCatalog? catalog) =>
            new(catalog ?? services.GetRequiredService<ToolCatalog>(), services.GetService<ClientConnection>());
    }

    private static async ValueTask<CallToolResult> CallLinkedAsync(ToolCatalog tools, RequestContext<CallToolRequestParams> request, CancellationToken clientGone, CancellationToken cancellationToken)
    {
        using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientGone);
        return await tools.CallAsync(request, call.Token).ConfigureAwait(false);
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
