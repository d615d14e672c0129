namespace Meshfleet.Core.Storage;

/// <summary>
/// The store could not do its work for a reason outside the caller's input: a full disk, a damaged file, no access.
/// The message names the cause, where the store is, and what to do; it is meant to be shown as is.
/// </summary>
public sealed class StoreFailureException : Exception
{
    public StoreFailureException(string message)
        : base(message)
    {
    }

    public StoreFailureException()
    {
    }

    public StoreFailureException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
