namespace Meshfleet.Core.Messaging;

/// <summary>What <c>ask</c> returns: the question as stored and the reply to it.</summary>
public sealed record Exchange(MeshMessage Question, MeshMessage Reply);
