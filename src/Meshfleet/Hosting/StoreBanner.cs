using Meshfleet.Configuration;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;

namespace Meshfleet.Hosting;

/// <summary>
/// Says at start where the store lives, so a user can find, back up or move it (stderr, information level, both modes).
/// </summary>
internal sealed partial class StoreBanner(MeshfleetSettings settings, ILogger<StoreBanner> logger) : IHostedService
{
    public Task StartAsync(CancellationToken cancellationToken)
    {
        string storePath = Path.GetFullPath(settings.DatabasePath);
        LogStore(logger, storePath);
        return Task.CompletedTask;
    }

    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    [LoggerMessage(Level = LogLevel.Information, Message = "Store: {StorePath} (set MESHFLEET_DB / --db to use another file)")]
    private static partial void LogStore(ILogger logger, string storePath);
}
