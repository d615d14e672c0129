namespace Meshfleet.Cli.Setup;

/// <summary>A client config <c>meshfleet setup</c> will not touch, with what to do about it.</summary>
internal sealed class SetupException : Exception
{
    public SetupException(string message)
        : base(message)
    {
    }
}
