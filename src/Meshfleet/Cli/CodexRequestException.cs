namespace Meshfleet.Cli;

/// <summary>Codex's app-server answered a request with a JSON-RPC error; the message is Codex's.</summary>
internal sealed class CodexRequestException(string message) : Exception(message);
