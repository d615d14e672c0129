namespace Meshfleet.Core.Messaging;

/// <summary>
/// Bad input from a caller. The message says what was wrong and how to fix it, and is safe to show to clients.
/// </summary>
public sealed class MeshInputException : Exception
{
    public MeshInputException(string message)
        : base(message)
    {
    }

    public MeshInputException(string message, Exception inner)
        : base(message, inner)
    {
    }

    public MeshInputException()
    {
    }
}
