namespace Meshfleet.Storage.Sqlite;

/// <summary>The store was written by a newer Meshfleet than this one.</summary>
public sealed class StoreVersionException : Exception
{
    public StoreVersionException(string message)
        : base(message)
    {
    }

    public StoreVersionException()
    {
    }

    public StoreVersionException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
