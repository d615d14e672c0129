namespace Meshfleet.Bench.Systems;

/// <summary>A system could not be started here (not installed, or failed to come up); the message says how to fix it.</summary>
internal sealed class SystemUnavailableException : Exception
{
    public SystemUnavailableException(string message)
        : base(message)
    {
    }

    public SystemUnavailableException()
    {
    }

    public SystemUnavailableException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
