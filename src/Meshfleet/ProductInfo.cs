using System.Reflection;

namespace Meshfleet;

/// <summary>The product's name and semantic version, as <c>--version</c>, serverInfo and /healthz report them.</summary>
public static class ProductInfo
{
    public const string Name = "meshfleet";

    public static string Version { get; } = ReadVersion();

    private static string ReadVersion()
    {
        string? informational = typeof(ProductInfo).Assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (string.IsNullOrEmpty(informational))
        {
            return "0.0.0";
        }

        int plus = informational.IndexOf('+', StringComparison.Ordinal);
        return plus < 0 ? informational : informational[..plus];
    }
}
