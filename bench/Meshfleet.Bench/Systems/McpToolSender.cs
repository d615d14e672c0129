using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;

namespace Meshfleet.Bench.Systems;

/// <summary>Sends with the <c>send_message</c> tool over an MCP client (stdio or Streamable HTTP).</summary>
internal sealed class McpToolSender : IMessageSender
{
    private readonly McpClient _client;
    private readonly bool _ownsClient;

    public McpToolSender(McpClient client, bool ownsClient)
    {
        _client = client;
        _ownsClient = ownsClient;
    }

    public async ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken)
    {
        var arguments = new Dictionary<string, object?>
        {
            ["from_agent_id"] = fromAgentId,
            ["to_agent_id"] = toAgentId,
            ["payload"] = payload,
        };
        CallToolResult result = await _client.CallToolAsync("send_message", arguments, cancellationToken: cancellationToken);
        if (result.IsError == true)
        {
            string text = result.Content.OfType<TextContentBlock>().FirstOrDefault()?.Text ?? "(no text)";
            throw new InvalidOperationException("send_message failed: " + text);
        }
    }

    public async ValueTask DisposeAsync()
    {
        if (_ownsClient)
        {
            await _client.DisposeAsync();
        }
    }
}
