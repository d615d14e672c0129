namespace Meshfleet.Mcp;

/// <summary>No live stream can be offered right now; the message says why and what to do instead.</summary>
public sealed class StreamUnavailableException : Exception
{
    public StreamUnavailableException(string message)
        : base(message)
    {
    }

    public StreamUnavailableException()
    {
    }

    public StreamUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
