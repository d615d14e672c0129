using Meshfleet.Core.Messaging;

namespace Meshfleet.Cli;

/// <summary>A message a follower received, with the JSON the mesh sent for it (printed as is by <c>watch --json</c>).</summary>
internal sealed record FollowedMessage(MeshMessage Message, string Json);
