namespace Meshfleet.Core.Messaging;

/// <summary>An ask ended without a reply (timeout, or the recipient went offline); the message says what to do next.</summary>
public sealed class AskFailedException : Exception
{
    public AskFailedException(string message)
        : base(message)
    {
    }

    public AskFailedException()
    {
    }

    public AskFailedException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
