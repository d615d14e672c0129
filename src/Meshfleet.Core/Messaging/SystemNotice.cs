namespace Meshfleet.Core.Messaging;

/// <summary>
/// The payload of a message from the reserved sender <c>meshfleet</c>: <c>type</c> is <c>dead_letter</c> or
/// <c>agent_offline</c>, with the facts that go with it.
/// </summary>
public sealed record SystemNotice(
    string Type,
    string Text,
    string? MessageId = null,
    string? ToAgentId = null,
    int? Attempts = null,
    string? AgentId = null,
    string? FleetId = null,
    long? LastSeen = null);
