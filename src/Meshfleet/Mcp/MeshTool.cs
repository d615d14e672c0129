using ModelContextProtocol.Protocol;

namespace Meshfleet.Mcp;

/// <summary>One MCP tool: what tools/list shows, the argument names it accepts, and what a call does.</summary>
internal sealed record MeshTool(
    Tool Definition,
    IReadOnlyList<string> Arguments,
    Func<ToolArguments, CancellationToken, ValueTask<CallToolResult>> Invoke);
