using Meshfleet.Hosting;
using Microsoft.Extensions.DependencyInjection;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Mcp;

/// <summary>Gives an MCP server (stdio or HTTP) Meshfleet's identity, instructions and tools.</summary>
internal static class McpSetup
{
    public static IMcpServerBuilder AddMeshfleetMcp(this IServiceCollection services, ToolCatalog? catalog = null)
    {
        IMcpServerBuilder builder = services.AddMcpServer(options =>
        {
            options.ServerInfo = new Implementation { Name = ProductInfo.Name, Version = ProductInfo.Version };
            options.ServerInstructions = ToolCatalog.Instructions;
        });
        builder.WithParamsCheck();
        builder.WithListToolsHandler((request, _) =>
        {
            ToolCatalog tools = catalog ?? request.Services!.GetRequiredService<ToolCatalog>();
            return ValueTask.FromResult(new ListToolsResult { Tools = tools.Definitions });
        });
        builder.WithCallToolHandler(async (request, cancellationToken) =>
        {
            ToolCatalog tools = catalog ?? request.Services!.GetRequiredService<ToolCatalog>();

            // Over stdio, a client that closes stdin is gone: its pending long polls and asks end now, not at their timeout.
            CancellationToken clientGone = request.Services?.GetService<ClientConnection>()?.Closed ?? CancellationToken.None;
            using var call = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, clientGone);
            return await tools.CallAsync(request.Params, call.Token).ConfigureAwait(false);
        });
        return builder;
    }
}
