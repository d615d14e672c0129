namespace Meshfleet.Core.Routing;

/// <summary>The embedding model could not be loaded or reached; the message says what is wrong and how to fix it.</summary>
public sealed class RoutingUnavailableException : Exception
{
    public RoutingUnavailableException(string message)
        : base(message)
    {
    }

    public RoutingUnavailableException()
    {
    }

    public RoutingUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
