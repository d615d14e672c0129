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
          meshfleet watch --agent ID [--json | --prompt] [--since SEQ] [--cursor NAME | --no-cursor]
                                               one line per new message of ID, following the stream across restarts
          meshfleet bridge opencode --agent ID [--url http://127.0.0.1:4096] [--session ID]
                                               each new message becomes a turn in a running OpenCode session
          meshfleet bridge codex --agent ID [--thread ID] [--app-server "codex app-server proxy"]
                                               each new message becomes a turn in a running Codex thread
          meshfleet inbox --agent ID [--json | --prompt | --hook BeforeAgent|AfterTool|AfterAgent] [--wait SECONDS]
                                               messages since the last run, once (for hooks and scripts)
          meshfleet setup <claude|opencode|codex|gemini> [--agent ID [--agent-key KEY | --rotate-key]] [--dry-run]
                                               write that client's user-level MCP config for this binary (idempotent)
          meshfleet doctor                     check binary, store, port, token, identity and clients; say what to fix
          meshfleet agent-key revoke|rotate ID take an agent's key back, or print a new one (agent identity; needs the token)
          meshfleet --version | --help

        Settings (flag, environment variable, default):
        {SettingsCatalog.Describe()}
        """;
}
