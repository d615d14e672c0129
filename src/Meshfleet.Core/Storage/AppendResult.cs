using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Storage;

/// <summary>The outcome of an append.</summary>
/// <param name="Message">The stored message.</param>
/// <param name="Duplicate">True when an earlier append with the same idempotency key was returned instead.</param>
public sealed record AppendResult(MeshMessage Message, bool Duplicate);
