using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>What a new user installs: the single executable alone in a folder, the dotnet tool package, and what serve says at start.</summary>
public sealed class InstallTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Aot_binary_copied_alone_into_an_empty_folder_runs_and_lists_tools()
    {
        // A JIT build (the one beside the tests) needs meshfleet.dll and the runtime; only a Native AOT build is one file.
        if (File.Exists(Path.Combine(Path.GetDirectoryName(MeshfleetBinary.Path)!, "meshfleet.dll")))
        {
            output.WriteLine($"SKIPPED: {MeshfleetBinary.Path} is not a Native AOT build; set MESHFLEET_BIN to out/meshfleet from `dotnet publish src/Meshfleet -c Release -o out`.");
            return;
        }

        await using var scope = new MeshScope();
        string folder = Directory.CreateDirectory(Path.Combine(scope.Directory, "alone")).FullName;
        string binary = Path.Combine(folder, "meshfleet");
        File.Copy(MeshfleetBinary.Path, binary); // keeps the execute bit on Unix

        CliRun version = await RunAsync(binary, scope.Environment, folder, scope.Timeout, "--version");
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Matches(@"^\d+\.\d+\.\d+\s*$", version.Stdout);

        (string tools, string stderr) = await ListToolsOverStdioAsync(binary, scope.Environment, folder, scope.Timeout);
        Assert.Contains("\"send_message\"", tools, StringComparison.Ordinal);
        Assert.DoesNotContain("DllNotFoundException", stderr, StringComparison.Ordinal);
        Assert.Contains($"Store: {scope.DatabasePath}", stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Serve_names_the_store_path_and_the_dashboard_url_at_start()
    {
        await using var scope = new MeshScope();
        using Process process = Process.Start(MeshfleetBinary.StartInfo(scope.Environment, "serve"))!;
        var lines = new List<string>();
        var dashboard = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data is null)
            {
                dashboard.TrySetException(new InvalidOperationException("serve closed stderr before naming its dashboard"));
                return;
            }

            lock (lines)
            {
                lines.Add(e.Data);
            }

            if (e.Data.Contains("Dashboard at", StringComparison.Ordinal))
            {
                dashboard.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        try
        {
            await dashboard.Task.WaitAsync(scope.Timeout);
            string log;
            lock (lines)
            {
                log = string.Join('\n', lines);
            }

            Assert.Contains($"Store: {scope.DatabasePath}", log, StringComparison.Ordinal);
            string url = $"http://127.0.0.1:{scope.Port}/";
            Assert.Contains($"Dashboard at {url}", log, StringComparison.Ordinal);
            using HttpResponseMessage page = await scope.Http.GetAsync(new Uri(url), scope.Timeout);
            Assert.True(page.IsSuccessStatusCode, $"GET {url} gave {(int)page.StatusCode}");
        }
        finally
        {
            process.Kill();
            await process.WaitForExitAsync(CancellationToken.None);
        }
    }

    [Fact]
    public async Task Tool_package_installs_into_a_clean_home_and_serves_stdio()
    {
        // CI packs it first (`dotnet pack src/Meshfleet -c Release` puts it in dist/); packing here would take minutes.
        string? root = RepositoryRoot();
        string package = Path.Combine(root ?? ".", "dist", $"meshfleet.{ProductInfo.Version}.nupkg");
        if (!File.Exists(package))
        {
            output.WriteLine($"SKIPPED: no tool package at {package}; run `dotnet pack src/Meshfleet -c Release` first.");
            return;
        }

        await using var scope = new MeshScope();
        string home = Directory.CreateDirectory(Path.Combine(scope.Directory, "home")).FullName;
        var environment = new Dictionary<string, string>(scope.Environment)
        {
            ["HOME"] = home,
            ["DOTNET_CLI_HOME"] = home,
            ["NUGET_PACKAGES"] = Path.Combine(home, "nuget-packages"),
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
            ["DOTNET_NOLOGO"] = "1",
            ["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1",
        };

        CliRun install = await RunAsync(
            "dotnet", environment, home, scope.Timeout,
            "tool", "install", "-g", "meshfleet", "--add-source", Path.GetDirectoryName(package)!, "--version", ProductInfo.Version);
        Assert.True(install.ExitCode == 0, install.Stdout + install.Stderr);

        string tool = Path.Combine(home, ".dotnet", "tools", "meshfleet");
        CliRun version = await RunAsync(tool, environment, home, scope.Timeout, "--version");
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Equal(ProductInfo.Version, version.Stdout.Trim());

        (string tools, string stderr) = await ListToolsOverStdioAsync(tool, environment, home, scope.Timeout);
        Assert.Contains("\"send_message\"", tools, StringComparison.Ordinal);
        Assert.Contains($"Store: {scope.DatabasePath}", stderr, StringComparison.Ordinal);
    }

    /// <summary>Sends initialize, initialized and tools/list as raw JSON-RPC lines and returns the tools/list response.</summary>
    internal static async Task<(string Tools, string Stderr)> ListToolsOverStdioAsync(
        string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory, CancellationToken cancellationToken)
    {
        ProcessStartInfo info = StartInfo(binary, environment, workingDirectory);
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.StandardInput.WriteLineAsync(
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"install-test","version":"1"}}}""");
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""");
            await process.StandardInput.FlushAsync(cancellationToken);
            while (await process.StandardOutput.ReadLineAsync(cancellationToken) is { } line)
            {
                using JsonDocument response = JsonDocument.Parse(line);
                if (response.RootElement.TryGetProperty("id", out JsonElement id) && id.ValueKind == JsonValueKind.Number && id.GetInt32() == 2)
                {
                    process.StandardInput.Close();
                    await process.WaitForExitAsync(cancellationToken);
                    return (line, await stderr);
                }
            }

            throw new InvalidOperationException($"stdout closed before the tools/list response; stderr: {await stderr}");
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
            }
        }
    }

    internal static async Task<CliRun> RunAsync(
        string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory, CancellationToken cancellationToken, params string[] arguments)
    {
        ProcessStartInfo info = StartInfo(binary, environment, workingDirectory);
        foreach (string argument in arguments)
        {
            info.ArgumentList.Add(argument);
        }

        using Process process = Process.Start(info)!;
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            await process.WaitForExitAsync(cancellationToken);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw;
        }

        return new CliRun(process.ExitCode, await stdout, await stderr);
    }

    private static string? RepositoryRoot()
    {
        for (DirectoryInfo? directory = new(AppContext.BaseDirectory); directory is not null; directory = directory.Parent)
        {
            if (File.Exists(Path.Combine(directory.FullName, "Meshfleet.slnx")))
            {
                return directory.FullName;
            }
        }

        return null;
    }

    private static ProcessStartInfo StartInfo(string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory)
    {
        var info = new ProcessStartInfo(binary)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            WorkingDirectory = workingDirectory,
        };
        foreach ((string key, string value) in environment)
        {
            info.Environment[key] = value;
        }

        return info;
    }
}
