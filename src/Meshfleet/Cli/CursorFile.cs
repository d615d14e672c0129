using System.Globalization;

namespace Meshfleet.Cli;

/// <summary>
/// Where a follower (watch, a bridge, inbox --unread) keeps the last seq it handled, so a restart resumes without a gap
/// or a repeat. One file per agent and consumer beside the store (<c>cursors/AGENT.CONSUMER</c>), replaced atomically;
/// a lock file beside it keeps two followers from sharing one cursor.
/// </summary>
internal sealed class CursorFile : IDisposable
{
    private readonly FileStream? _lock;

    private CursorFile(string path, FileStream? lockStream)
    {
        Path = path;
        _lock = lockStream;
    }

    public string Path { get; }

    /// <summary>The cursor file of <paramref name="agentId"/> for <paramref name="consumer"/>, beside the store at <paramref name="databasePath"/>.</summary>
    public static string PathFor(string databasePath, string agentId, string consumer)
    {
        string folder = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(databasePath)) ?? ".", "cursors");
        return System.IO.Path.Combine(folder, $"{agentId}.{consumer}");
    }

    /// <summary>Opens the cursor at <paramref name="path"/>; with <paramref name="exclusive"/>, fails when another process holds it.</summary>
    public static CursorFile Open(string path, bool exclusive)
    {
        Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
        if (!exclusive)
        {
            return new CursorFile(path, null);
        }

        try
        {
            var lockStream = new FileStream(path + ".lock", FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
            return new CursorFile(path, lockStream);
        }
        catch (IOException)
        {
            throw new CommandArgsException($"another process already follows this cursor ({path}). Stop it, or give this one its own cursor with --cursor NAME.");
        }
    }

    /// <summary>The saved seq, or null when nothing was saved yet.</summary>
    public long? Read()
    {
        string text;
        try
        {
            text = File.ReadAllText(Path).Trim();
        }
        catch (FileNotFoundException)
        {
            return null;
        }

        return long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out long seq)
            ? seq
            : throw new CommandArgsException($"the cursor file {Path} holds '{(text.Length > 40 ? text[..40] : text)}', not a seq. Delete it (the next start shows only new messages) or pass --since SEQ.");
    }

    /// <summary>Saves <paramref name="seq"/>: written beside and renamed over, so a crash leaves the old or the new value, never half of one.</summary>
    public void Write(long seq)
    {
        string temporary = Path + ".tmp";
        File.WriteAllText(temporary, seq.ToString(CultureInfo.InvariantCulture));
        File.Move(temporary, Path, overwrite: true);
    }

    public void Dispose() => _lock?.Dispose();
}
