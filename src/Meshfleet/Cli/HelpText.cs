using Meshfleet.Configuration;

namespace Meshfleet.Cli;

/// <summary>What <c>meshfleet --help</c> prints.</summary>
internal static class HelpText
{
    public static string Render() => $"""
        meshfleet {ProductInfo.Version} - an MCP server that lets AI agents message each other, with durable inboxes and live SSE push.

        Usage:
          meshfleet [settings]                 MCP server on stdio (what an MCP client launches), plus the HTTP listener
          meshfleet serve [settings]           the mesh as a long-lived service: MCP at /mcp, SSE streams, /healthz
          meshfleet demo                       an orchestrator and two specialists talk through a temporary mesh
          meshfleet export [--out FILE]        write the whole ledger as JSON Lines (stdout by default)
          meshfleet import FILE                load a JSON Lines ledger (skips messages already present)
          meshfleet rotate-token               make a protected store accept a new token (read from stdin; needs the current one)
          meshfleet agent-key revoke|rotate ID take an agent's key back, or print a new one (agent identity; needs the token)
          meshfleet --version | --help

        Settings (flag, environment variable, default):
        {SettingsCatalog.Describe()}
        """;
}
