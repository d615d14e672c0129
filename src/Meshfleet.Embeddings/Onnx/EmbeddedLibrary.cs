using System.Globalization;
using System.Security.Cryptography;

namespace Meshfleet.Embeddings.Onnx;

/// <summary>
/// A native library carried as a compressed resource, with the size and SHA-256 the build recorded. Extraction is
/// atomic (a private temporary file, checked, then renamed into place), so processes racing to extract it, or a crash
/// halfway, never leave a partial library under the final name; a cached copy that fails the check is replaced.
/// </summary>
internal sealed class EmbeddedLibrary
{
    private readonly Func<Stream> _open;

    private EmbeddedLibrary(string fileName, long size, string sha256, Func<Stream> open)
    {
        FileName = fileName;
        Size = size;
        Sha256 = sha256;
        _open = open;
    }

    /// <summary>The library's name as the package ships it, e.g. libonnxruntime.so.</summary>
    public string FileName { get; }

    public long Size { get; }

    /// <summary>Lowercase hex.</summary>
    public string Sha256 { get; }

    /// <summary>
    /// The name in the cache carries the hash: two builds of one version with different libraries never share a file,
    /// and a file, once in place, never changes under a process that loaded it.
    /// </summary>
    public string CachedName => $"{Path.GetFileNameWithoutExtension(FileName)}-{Sha256[..16]}{Path.GetExtension(FileName)}";

    /// <summary>Reads the manifest the build wrote: the file name, the size in bytes and the SHA-256, one a line.</summary>
    public static EmbeddedLibrary Read(Stream manifest, Func<Stream> open)
    {
        using var reader = new StreamReader(manifest);
        string[] lines = reader.ReadToEnd().Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (lines.Length != 3 || !long.TryParse(lines[1], NumberStyles.None, CultureInfo.InvariantCulture, out long size) || lines[2].Length != 64)
        {
            throw new DllNotFoundException("The executable's manifest of ONNX Runtime's library is malformed; the build is damaged.");
        }

        return new EmbeddedLibrary(Path.GetFileName(lines[0]), size, lines[2], open);
    }

    /// <summary>The path of a checked copy in <paramref name="directory"/>, extracting (or repairing) it first if needed.</summary>
    public string ExtractTo(string directory)
    {
        string target = Path.Combine(directory, CachedName);
        try
        {
            if (IsIntact(target))
            {
                return target;
            }

            CreatePrivateDirectory(directory);
            string temporary = Path.Combine(directory, $".{CachedName}.{Environment.ProcessId}.{Guid.NewGuid():N}.tmp");
            try
            {
                Write(temporary);
                File.Move(temporary, target, overwrite: true);
            }
            finally
            {
                File.Delete(temporary);
            }

            return target;
        }
        catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
        {
            throw new DllNotFoundException(
                $"Could not put ONNX Runtime's library ({FileName}) in {directory}: {ex.Message} Make the folder writable, or set XDG_CACHE_HOME to a writable folder.", ex);
        }
    }

    private bool IsIntact(string path)
    {
        var info = new FileInfo(path);
        if (!info.Exists || info.Length != Size)
        {
            return false;
        }

        using FileStream stream = info.OpenRead();
        return Convert.ToHexStringLower(SHA256.HashData(stream)) == Sha256;
    }

    private void Write(string path)
    {
        var options = new FileStreamOptions { Mode = FileMode.CreateNew, Access = FileAccess.Write, Share = FileShare.None };
        if (!OperatingSystem.IsWindows())
        {
            options.UnixCreateMode = UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute;
        }

        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        long written = 0;
        using (var target = new FileStream(path, options))
        using (Stream source = _open())
        {
            byte[] buffer = new byte[1 << 16];
            int read;
            while ((read = source.Read(buffer)) > 0)
            {
                hash.AppendData(buffer, 0, read);
                target.Write(buffer, 0, read);
                written += read;
            }

            target.Flush(flushToDisk: true);
        }

        if (written != Size || Convert.ToHexStringLower(hash.GetHashAndReset()) != Sha256)
        {
            throw new DllNotFoundException($"The copy of {FileName} inside the executable does not match its recorded size and SHA-256; the executable is damaged. Reinstall it.");
        }
    }

    private static void CreatePrivateDirectory(string directory)
    {
        if (OperatingSystem.IsWindows())
        {
            Directory.CreateDirectory(directory);
        }
        else
        {
            Directory.CreateDirectory(directory, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        }
    }
}
