namespace Meshfleet.Cli.Export;

/// <summary>An export file that cannot be imported: the message names the line and what to do.</summary>
internal sealed class ExportFileException : Exception
{
    public ExportFileException(string message)
        : base(message)
    {
    }

    public ExportFileException()
    {
    }

    public ExportFileException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
