using System.IO.Compression;
using System.Reflection;
using System.Runtime.InteropServices;
using Microsoft.ML.OnnxRuntime;

namespace Meshfleet.Embeddings.Onnx;

/// <summary>
/// Where ONNX Runtime's native library comes from. A Native AOT publish carries it inside the executable (so one file
/// installs Meshfleet); the first routing call extracts it to the user's cache and points the OnnxRuntime assembly's
/// imports at that copy. Builds without it (the dotnet tool, tests) keep ONNX Runtime's own loading from runtimes/.
/// </summary>
internal static class OnnxRuntimeLibrary
{
    private const string ArchiveResource = "onnxruntime.native.gz";
    private const string ManifestResource = "onnxruntime.native.manifest";
    private const string ImportName = "onnxruntime";

    private static readonly Lock Gate = new();
    private static bool _prepared;

    /// <summary>Must run before the first ONNX Runtime call; later calls do nothing. Throws <see cref="DllNotFoundException"/> with the reason.</summary>
    public static void Prepare()
    {
        lock (Gate)
        {
            if (_prepared)
            {
                return;
            }

            Assembly? host = Assembly.GetEntryAssembly();
            using Stream? manifest = host?.GetManifestResourceStream(ManifestResource);
            if (manifest is not null)
            {
                var library = EmbeddedLibrary.Read(manifest, () => new GZipStream(
                    host!.GetManifestResourceStream(ArchiveResource) ?? throw new DllNotFoundException($"The executable names ONNX Runtime's library but lacks the resource {ArchiveResource}; the build is damaged."),
                    CompressionMode.Decompress));
                string path = library.ExtractTo(CacheDirectory(host!));
                IntPtr handle = NativeLibrary.Load(path);

                // Ours answers instead of ONNX Runtime's own resolver, which would only search beside the executable.
                OrtEnv.DisableDllImportResolver = true;
                NativeLibrary.SetDllImportResolver(typeof(OrtEnv).Assembly, (name, _, _) => name == ImportName ? handle : IntPtr.Zero);
            }

            _prepared = true;
        }
    }

    /// <summary>$XDG_CACHE_HOME/meshfleet/&lt;version&gt;, else ~/.cache/meshfleet/&lt;version&gt; (~/Library/Caches on macOS).</summary>
    private static string CacheDirectory(Assembly host)
    {
        string? informational = host.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        string version = informational?.Split('+')[0] is { Length: > 0 } v ? v : "0.0.0";
        return Path.Combine(CacheRoot(), "meshfleet", version);
    }

    private static string CacheRoot()
    {
        string? xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        if (!string.IsNullOrEmpty(xdg) && Path.IsPathFullyQualified(xdg))
        {
            return xdg;
        }

        if (OperatingSystem.IsWindows())
        {
            return Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData);
        }

        string? home = Environment.GetEnvironmentVariable("HOME");
        if (string.IsNullOrEmpty(home))
        {
            throw new DllNotFoundException("ONNX Runtime's library is extracted to a cache folder, but neither XDG_CACHE_HOME nor HOME is set; set one of them.");
        }

        return OperatingSystem.IsMacOS() ? Path.Combine(home, "Library", "Caches") : Path.Combine(home, ".cache");
    }
}
