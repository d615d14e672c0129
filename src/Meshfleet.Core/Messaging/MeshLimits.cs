namespace Meshfleet.Core.Messaging;

/// <summary>
/// The limits checked at the boundary of every transport.
/// </summary>
public sealed record MeshLimits
{
    public const int AgentIdMaxLength = 64;
    public const int ReferenceMaxLength = 128;
    public const int DefaultMaxPayloadBytes = 256 * 1024;
    public const int MaxInboxPage = 1000;
    public const int DefaultInboxPage = 100;

    /// <summary>Largest payload accepted, in UTF-8 bytes.</summary>
    public int MaxPayloadBytes { get; init; } = DefaultMaxPayloadBytes;
}
