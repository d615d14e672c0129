using System.Text;

namespace Meshfleet.Core.Messaging;

/// <summary>
/// Checks caller input and explains, in the error, what was wrong and how to fix it.
/// </summary>
public static class InputRules
{
    /// <summary>Checks an agent id: 1-64 characters of [A-Za-z0-9._-], not "." or "..".</summary>
    public static string AgentId(string? value, string argument)
    {
        if (string.IsNullOrEmpty(value))
        {
            throw new MeshInputException($"'{argument}' is required: pass an agent id such as \"planner-1\" (1-64 characters of A-Z a-z 0-9 . _ -).");
        }

        if (value.Length > MeshLimits.AgentIdMaxLength)
        {
            throw new MeshInputException($"'{argument}' is {value.Length} characters long; agent ids are at most {MeshLimits.AgentIdMaxLength}. Use a shorter id.");
        }

        if (value is "." or "..")
        {
            throw new MeshInputException($"'{argument}' cannot be \"{value}\". Use a name such as \"planner-1\".");
        }

        foreach (char c in value)
        {
            if (!IsAgentIdChar(c))
            {
                throw new MeshInputException($"'{argument}' contains '{Describe(c)}', which agent ids cannot hold. Use only letters, digits, '.', '_' and '-' (for example \"code-reviewer\").");
            }
        }

        return value;
    }

    /// <summary>Checks a payload against the configured size limit.</summary>
    public static string Payload(string? value, MeshLimits limits, string argument = "payload")
    {
        if (value is null)
        {
            throw new MeshInputException($"'{argument}' is required: pass the message text (a string; put JSON inside it if you need structure).");
        }

        if (value.Length == 0)
        {
            throw new MeshInputException($"'{argument}' is empty. Send some text; an empty message tells the recipient nothing.");
        }

        int bytes = value.Length <= limits.MaxPayloadBytes / 3 ? value.Length : Encoding.UTF8.GetByteCount(value);
        if (bytes > limits.MaxPayloadBytes)
        {
            throw new MeshInputException($"'{argument}' is {bytes} bytes; the limit is {limits.MaxPayloadBytes} bytes. Split it into several messages or send a reference (a path or URL) instead.");
        }

        return value;
    }

    /// <summary>Checks an optional reference such as a thread id or message id.</summary>
    public static string? OptionalReference(string? value, string argument)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length == 0 || value.Length > MeshLimits.ReferenceMaxLength)
        {
            throw new MeshInputException($"'{argument}' must be 1-{MeshLimits.ReferenceMaxLength} characters; omit it when you have none.");
        }

        foreach (char c in value)
        {
            if (char.IsControl(c))
            {
                throw new MeshInputException($"'{argument}' contains a control character. Pass the id exactly as Meshfleet returned it.");
            }
        }

        return value;
    }

    /// <summary>Checks optional free text such as a name or a description.</summary>
    public static string? OptionalText(string? value, string argument, int maxLength)
    {
        if (value is null)
        {
            return null;
        }

        if (value.Length > maxLength)
        {
            throw new MeshInputException($"'{argument}' is {value.Length} characters; the limit is {maxLength}. Shorten it.");
        }

        return value;
    }

    /// <summary>Checks a cursor: a seq from an earlier result, 0 meaning "from the start".</summary>
    public static long Cursor(long? value, string argument)
    {
        long cursor = value ?? 0;
        if (cursor < 0)
        {
            throw new MeshInputException($"'{argument}' is {cursor}; it takes a seq from an earlier result (0 or more). Omit it to start from the beginning.");
        }

        return cursor;
    }

    /// <summary>Checks a page size.</summary>
    public static int Limit(long? value, string argument = "limit")
    {
        if (value is null)
        {
            return MeshLimits.DefaultInboxPage;
        }

        if (value < 1 || value > MeshLimits.MaxInboxPage)
        {
            throw new MeshInputException($"'{argument}' is {value}; it must be between 1 and {MeshLimits.MaxInboxPage}. Page with 'since' = the previous 'next_since'.");
        }

        return (int)value.Value;
    }

    private static bool IsAgentIdChar(char c) =>
        c is (>= 'a' and <= 'z') or (>= 'A' and <= 'Z') or (>= '0' and <= '9') or '.' or '_' or '-';

    private static string Describe(char c) => c switch
    {
        ' ' => "a space",
        '/' => "/",
        '\\' => "\\",
        _ when char.IsControl(c) => $"U+{(int)c:X4}",
        _ => c.ToString(),
    };
}
