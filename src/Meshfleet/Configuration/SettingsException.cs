namespace Meshfleet.Configuration;

/// <summary>A setting has a value Meshfleet cannot use; the message names the setting and how to fix it.</summary>
public sealed class SettingsException : Exception
{
    public SettingsException(string message)
        : base(message)
    {
    }

    public SettingsException()
    {
    }

    public SettingsException(string message, Exception inner)
        : base(message, inner)
    {
    }
}
