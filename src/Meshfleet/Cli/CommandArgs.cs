using System.Globalization;

namespace Meshfleet.Cli;

/// <summary>
/// The arguments of one subcommand (settings such as <c>--agent</c> were already consumed globally): flags with a value,
/// switches, and an error that names the command's usage when something is left over.
/// </summary>
internal sealed class CommandArgs
{
    private readonly List<string> _args;
    private readonly string _usage;

    public CommandArgs(IEnumerable<string> args, string usage)
    {
        _args = [.. args];
        _usage = usage;
    }

    /// <summary>Takes <c>--name VALUE</c> (or <c>--name=VALUE</c>), or null when absent.</summary>
    public string? Value(string name)
    {
        for (int i = 0; i < _args.Count; i++)
        {
            if (_args[i] == name)
            {
                if (i + 1 >= _args.Count)
                {
                    throw new CommandArgsException($"{name} needs a value. Usage: {_usage}");
                }

                string value = _args[i + 1];
                _args.RemoveRange(i, 2);
                return value;
            }

            if (_args[i].StartsWith(name + "=", StringComparison.Ordinal))
            {
                string value = _args[i][(name.Length + 1)..];
                _args.RemoveAt(i);
                return value;
            }
        }

        return null;
    }

    /// <summary>Takes <c>--name SEQ</c> as a cursor (a whole number of 0 or more), or null when absent.</summary>
    public long? Cursor(string name)
    {
        string? raw = Value(name);
        if (raw is null)
        {
            return null;
        }

        if (!long.TryParse(raw, NumberStyles.None, CultureInfo.InvariantCulture, out long seq))
        {
            throw new CommandArgsException($"{name} is '{raw}'; it must be a seq (a whole number of 0 or more). Usage: {_usage}");
        }

        return seq;
    }

    /// <summary>Takes a switch such as <c>--json</c>; true when it was given.</summary>
    public bool Switch(string name) => _args.Remove(name);

    /// <summary>Takes the next word that is not a flag (a sub-subcommand), or null.</summary>
    public string? Word()
    {
        if (_args.Count == 0 || _args[0].StartsWith('-'))
        {
            return null;
        }

        string word = _args[0];
        _args.RemoveAt(0);
        return word;
    }

    /// <summary>Fails when arguments are left that the command does not know.</summary>
    public void EnsureEmpty()
    {
        if (_args.Count > 0)
        {
            throw new CommandArgsException($"unexpected '{_args[0]}'. Usage: {_usage}");
        }
    }

    /// <summary>Fails with the usage line: for a required thing that is missing.</summary>
    public CommandArgsException Missing(string what) => new($"{what}. Usage: {_usage}");
}
