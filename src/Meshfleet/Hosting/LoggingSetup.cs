using Meshfleet.Configuration;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;

namespace Meshfleet.Hosting;

/// <summary>One logging setup for every host in the process: everything to stderr, since stdout is the MCP channel.</summary>
internal static class LoggingSetup
{
    public static void Configure(ILoggingBuilder logging, MeshfleetSettings settings)
    {
        logging.ClearProviders();
        logging.AddSimpleConsole(o =>
        {
            o.SingleLine = true;
            o.TimestampFormat = "HH:mm:ss.fff ";
        });
        logging.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace);
        logging.SetMinimumLevel(settings.LogLevel);

        // Framework categories log request details (and MCP arguments) at information level: keep them quiet.
        logging.AddFilter("Microsoft", LogLevel.Warning);
        logging.AddFilter("ModelContextProtocol", LogLevel.Warning);
    }
}
