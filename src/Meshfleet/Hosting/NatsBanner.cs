using Meshfleet.Storage.Nats;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// Says at start which NATS server and mesh hold the store, and warns when its set-up can lose an acknowledged send
/// (one replica; a server that does not fsync every write). stderr, like every log line.
/// </summary>
internal sealed partial class NatsBanner(NatsMesh mesh, ILogger<NatsBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        LogStore(logger, mesh.Options.RedactedUrl, mesh.Options.Mesh, mesh.ServerDescription);
        foreach (string warning in mesh.DurabilityWarnings)
        {
            LogDurability(logger, warning);
        }

        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Store: NATS JetStream at {Url}, mesh '{Mesh}' ({Server}); every process on this server and mesh serves the same mesh")]
    private static partial void LogStore(ILogger logger, string url, string mesh, string server);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Durability: {Warning}")]
    private static partial void LogDurability(ILogger logger, string warning);
}
