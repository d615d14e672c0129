namespace Meshfleet.Bench.Systems;

/// <summary>
/// A running messaging system under measurement: Meshfleet, the bare relay floor, Redis Streams or NATS JetStream.
/// Every scenario drives every system through this one shape, so the client code is the same for all of them.
/// </summary>
internal interface IMessagingSystem : IAsyncDisposable
{
    /// <summary>Short name used in the table and the JSON.</summary>
    string Name { get; }

    /// <summary>The server process, for its memory; null when the system runs inside another measured process.</summary>
    int? ServerProcessId { get; }

    /// <summary>How many independent sending clients this system can have (stdio MCP has exactly one).</summary>
    int MaxSenders { get; }

    /// <summary>Connects a new sending client, the way an agent would.</summary>
    ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken);

    /// <summary>Opens a live subscription to an agent's inbox; returns once the system will deliver new messages to it.</summary>
    ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken);
}
