namespace Meshfleet.Bench.Systems;

/// <summary>One sending client. A send returns when the system has acknowledged the message as stored.</summary>
internal interface IMessageSender : IAsyncDisposable
{
    ValueTask SendAsync(string fromAgentId, string toAgentId, string payload, CancellationToken cancellationToken);
}
