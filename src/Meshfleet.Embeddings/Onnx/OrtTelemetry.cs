using System.Runtime.InteropServices;

namespace Meshfleet.Embeddings.Onnx;

/// <summary>
/// Keeps ONNX Runtime from phoning home. Since 1.30 it sends telemetry on Linux (writing under ~/.cache/Microsoft/ and
/// connecting to a Microsoft endpoint) unless ORT_DISABLE_TELEMETRY=1 is in the native environment when it starts.
/// <c>Environment.SetEnvironmentVariable</c> changes only .NET's copy, which native <c>getenv</c> never sees, hence libc setenv.
/// </summary>
internal static partial class OrtTelemetry
{
    private const string Variable = "ORT_DISABLE_TELEMETRY";

    /// <summary>Sets the variable in the native environment. Must run before the first ONNX Runtime call.</summary>
    public static void Disable()
    {
        Environment.SetEnvironmentVariable(Variable, "1");
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS() || OperatingSystem.IsFreeBSD())
        {
            if (SetEnv(Variable, "1", 1) != 0)
            {
                throw new InvalidOperationException($"setenv({Variable}) failed; refusing to start ONNX Runtime with its telemetry on.");
            }
        }
    }

    [LibraryImport("libc", EntryPoint = "setenv", StringMarshalling = StringMarshalling.Utf8)]
    private static partial int SetEnv(string name, string value, int overwrite);
}
