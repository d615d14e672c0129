using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Streaming;
using Meshfleet.Embeddings;
using Meshfleet.Identity;
using Meshfleet.Mcp;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging.Abstractions;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Hosting;

/// <summary>
/// The stdio process for a store that cannot be opened. A stdio server that exits shows up in MCP clients only as
/// "Connection closed"; this one completes the handshake, lists the usual tools, and answers every tool call with
/// the reason and its fix, where the user and the model look.
/// </summary>
internal static class StoreUnavailableHost
{
    public static IHost Build(MeshfleetSettings settings, string reason)
    {
        // It never served the store: when its client leaves, the process ends with 1, as a start that fails does.
        Environment.ExitCode = 1;
        HostApplicationBuilder builder = Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        LoggingSetup.Configure(builder.Logging, settings);
        builder.Services.Configure<ConsoleLifetimeOptions>(o => o.SuppressStatusMessages = true);

        IList<Tool> tools = ListTools(settings, reason);
        var failure = new CallToolResult
        {
            IsError = true,
            Content = [new TextContentBlock { Text = $"Meshfleet cannot work: {reason} Restart your MCP client (or this server) after fixing it." }],
        };
        builder.Services.AddMcpServer(options =>
            {
                options.ServerInfo = new Implementation { Name = ProductInfo.Name, Version = ProductInfo.Version };
                options.ServerInstructions = $"Meshfleet's store could not be opened, so every tool fails until it is fixed: {reason}";
            })
            .WithListToolsHandler((_, _) => ValueTask.FromResult(new ListToolsResult { Tools = tools }))
            .WithParamsCheck()
            .WithCallToolHandler((_, _) => ValueTask.FromResult(failure))
            .WithStdioServerTransport();
        return builder.Build();
    }

    /// <summary>The same definitions a working process lists, so a client's tool list does not change with the store's health.</summary>
    private static IList<Tool> ListTools(MeshfleetSettings settings, string reason)
    {
        var store = new UnavailableStore(reason);
        var hub = new StreamHub(new StreamHubOptions());
        var mesh = new Mesh(store, store, store, hub, new MeshLimits(), new RetryPolicy(), TimeProvider.System);
        var agents = new AgentRegistry(store, hub, TimeProvider.System);
        using var locator = new PortHolderLocator(settings, store);
        var router = new AgentRouter(agents, store, EmbedderFactory.Create(settings.EmbeddingModel, settings.EmbeddingUrl), store, new RoutingOptions(), TimeProvider.System);
        return new ToolCatalog(mesh, agents, new Questions(mesh, agents, hub), router, locator, settings, new AgentIdentity(settings, store, TimeProvider.System), NullLogger<ToolCatalog>.Instance).Definitions;
    }
}
