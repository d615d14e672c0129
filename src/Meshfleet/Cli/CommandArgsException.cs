namespace Meshfleet.Cli;

/// <summary>A subcommand was called with arguments it cannot use; the message says which and shows the usage.</summary>
internal sealed class CommandArgsException(string message) : Exception(message);
