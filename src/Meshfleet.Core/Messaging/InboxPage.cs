namespace Meshfleet.Core.Messaging;

/// <summary>
/// A page of an inbox, oldest first; pass <paramref name="NextSince"/> back as <c>since</c> for the next page.
/// <paramref name="Note"/> explains an empty page: nothing new yet, or no such agent, and how to go on.
/// </summary>
public sealed record InboxPage(IReadOnlyList<MeshMessage> Messages, long NextSince, string? Note = null);
