namespace Meshfleet.Core.Messaging;

/// <summary>
/// What <c>ask</c> returns: the question as stored and the reply to it (<see cref="Status"/> <c>answered</c>), or no reply
/// yet (<c>waiting</c>) with a <see cref="Note"/> saying how to keep waiting.
/// </summary>
public sealed record Exchange(MeshMessage Question, MeshMessage? Reply, string Status = "answered", string? Note = null);
