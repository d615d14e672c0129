using Meshfleet.Configuration;

namespace Meshfleet.Cli;

/// <summary>Runs the commands that follow an agent's inbox (watch, bridge, inbox) until Ctrl+C or SIGTERM, with one error line on bad use.</summary>
internal static class FollowerCommands
{
    public static async Task<int> RunAsync(string command, MeshfleetSettings settings, IReadOnlyList<string> arguments)
    {
        using var shutdown = new ShutdownSignal();
        try
        {
            return command switch
            {
                "watch" => await WatchCommand.RunAsync(settings, arguments, shutdown.Token),
                "bridge" => await BridgeCommand.RunAsync(settings, arguments, shutdown.Token),
                "inbox" => await InboxCommand.RunAsync(settings, arguments, shutdown.Token),
                _ => throw new CommandArgsException($"unknown command '{command}'. See meshfleet --help."),
            };
        }
        catch (CommandArgsException ex)
        {
            await Console.Error.WriteLineAsync("meshfleet: " + ex.Message);
            return 2;
        }
        catch (OperationCanceledException) when (shutdown.Token.IsCancellationRequested)
        {
            return 0;
        }
        catch (IOException ex) when (shutdown.Token.IsCancellationRequested || ex.Message.Contains("pipe", StringComparison.OrdinalIgnoreCase))
        {
            // stdout closed by whoever reads it (a monitor that stopped, `watch | head`): nothing left to print to.
            return 0;
        }
    }
}
