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
        builder.WithCallToolHandler((request, cancellationToken) =>
        {
            ToolCatalog tools = catalog ?? request.Services!.GetRequiredService<ToolCatalog>();
            return tools.CallAsync(request.Params, cancellationToken);
        });
        return builder;
    }
}
