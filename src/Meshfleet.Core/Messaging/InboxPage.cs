namespace Meshfleet.Core.Messaging;

/// <summary>A page of an inbox, oldest first; pass <paramref name="NextSince"/> back as <c>since</c> for the next page.</summary>
public sealed record InboxPage(IReadOnlyList<MeshMessage> Messages, long NextSince);
