using System.Diagnostics;
using System.Text.Json;
using Xunit;
using Xunit.Abstractions;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>What a new user installs: the single executable alone in a folder, the dotnet tool package, and what serve says at start.</summary>
public sealed class InstallTests(ITestOutputHelper output)
{
    [Fact]
    public async Task Aot_binary_copied_alone_into_an_empty_folder_with_a_clean_home_lists_tools_and_routes_with_the_built_in_model()
    {
        if (!IsNativeAot())
        {
            return;
        }

        await using var scope = new MeshScope();
        (string binary, Dictionary<string, string> environment, string folder) = Alone(scope);

        CliRun version = await RunAsync(binary, environment, folder, scope.Timeout, "--version");
        Assert.True(version.ExitCode == 0, version.Stderr);
        Assert.Matches(@"^\d+\.\d+\.\d+\s*$", version.Stdout);

        (string tools, string stderr) = await ListToolsOverStdioAsync(binary, environment, folder, scope.Timeout);
        Assert.Contains("\"send_message\"", tools, StringComparison.Ordinal);
        Assert.Contains("\"find_agents\"", tools, StringComparison.Ordinal);
        Assert.DoesNotContain("DllNotFoundException", stderr, StringComparison.Ordinal);
        Assert.Contains($"Store: {scope.DatabasePath}", stderr, StringComparison.Ordinal);
        Assert.Empty(Directory.EnumerateFiles(environment["HOME"], "*", SearchOption.AllDirectories)); // nothing extracted before routing is used

        (JsonElement found, string routingStderr) = await FindAgentsOverStdioAsync(binary, environment, folder, scope.Timeout);
        Assert.True(found.GetProperty("agents")[0].GetProperty("agent_id").GetString() == "db", found.ToString() + routingStderr);
        Assert.Equal("all-MiniLM-L6-v2", found.GetProperty("model").GetString());
        Assert.Equal(["meshfleet"], Directory.EnumerateFiles(folder).Select(Path.GetFileName)); // still one file: nothing landed beside it
        string library = Assert.Single(CachedLibraries(environment));
        Assert.StartsWith(Path.Combine(environment["XDG_CACHE_HOME"], "meshfleet", ProductInfo.Version) + "/", library, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_truncated_or_corrupted_cached_onnx_runtime_library_is_replaced_and_racing_first_uses_both_succeed()
    {
        if (!IsNativeAot())
        {
            return;
        }

        await using var scope = new MeshScope();
        (string binary, Dictionary<string, string> environment, string folder) = Alone(scope);

        // Two processes extract at once into the empty cache: each writes its own temporary file and renames it into place.
        (JsonElement, string)[] first = await Task.WhenAll(
            FindAgentsOverStdioAsync(binary, environment, folder, scope.Timeout),
            FindAgentsOverStdioAsync(binary, environment, folder, scope.Timeout));
        Assert.All(first, r => Assert.True(r.Item1.GetProperty("agents")[0].GetProperty("agent_id").GetString() == "db", r.Item1.ToString() + r.Item2));
        string library = Assert.Single(CachedLibraries(environment));
        Assert.Equal([library], Directory.EnumerateFiles(Path.GetDirectoryName(library)!)); // no temporary file left behind
        byte[] intact = await File.ReadAllBytesAsync(library, scope.Timeout);

        // A crash or a full disk once left half a library: the size check catches it.
        await using (FileStream stream = File.OpenWrite(library))
        {
            stream.SetLength(intact.Length / 2);
        }

        (JsonElement afterTruncation, string stderr) = await FindAgentsOverStdioAsync(binary, environment, folder, scope.Timeout);
        Assert.True(afterTruncation.GetProperty("agents")[0].GetProperty("agent_id").GetString() == "db", afterTruncation.ToString() + stderr);
        Assert.Equal(intact, await File.ReadAllBytesAsync(library, scope.Timeout));

        // Same size, damaged bytes: the SHA-256 check catches it.
        byte[] damaged = (byte[])intact.Clone();
        for (int i = damaged.Length / 3; i < (damaged.Length / 3) + 4096; i++)
        {
            damaged[i] ^= 0x5A;
        }

        await File.WriteAllBytesAsync(library, damaged, scope.Timeout);
        (JsonElement afterDamage, stderr) = await FindAgentsOverStdioAsync(binary, environment, folder, scope.Timeout);
        Assert.True(afterDamage.GetProperty("agents")[0].GetProperty("agent_id").GetString() == "db", afterDamage.ToString() + stderr);
        Assert.Equal(intact, await File.ReadAllBytesAsync(library, scope.Timeout));
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

        // The tool package loads ONNX Runtime from its runtimes/ folder, not from the cache the native executable uses.
        (JsonElement found, string routingStderr) = await FindAgentsOverStdioAsync(tool, environment, home, scope.Timeout);
        Assert.True(found.GetProperty("agents")[0].GetProperty("agent_id").GetString() == "db", found.ToString() + routingStderr);
    }

    /// <summary>Registers two agents and asks find_agents which fits a database task, over raw JSON-RPC lines; returns its structured result.</summary>
    private static async Task<(JsonElement Found, string Stderr)> FindAgentsOverStdioAsync(
        string binary, IReadOnlyDictionary<string, string> environment, string workingDirectory, CancellationToken cancellationToken)
    {
        ProcessStartInfo info = StartInfo(binary, environment, workingDirectory);
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        try
        {
            // One at a time: the server handles requests concurrently, and find_agents must see both agents registered.
            string[] requests =
            [
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"install-test","version":"1"}}}""",
                """{"jsonrpc":"2.0","id":2,"method":"tools/call","params":{"name":"register_agent","arguments":{"agent_id":"db","role":"database","description":"Writes and checks SQL schema migrations, indexes and query plans."}}}""",
                """{"jsonrpc":"2.0","id":3,"method":"tools/call","params":{"name":"register_agent","arguments":{"agent_id":"frontend","role":"frontend","description":"Builds React components and CSS layouts."}}}""",
                """{"jsonrpc":"2.0","id":4,"method":"tools/call","params":{"name":"find_agents","arguments":{"task":"Add an index on the orders table"}}}""",
            ];
            JsonElement result = default;
            for (int i = 0; i < requests.Length; i++)
            {
                await process.StandardInput.WriteLineAsync(requests[i]);
                if (i == 0)
                {
                    await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
                }

                await process.StandardInput.FlushAsync(cancellationToken);
                result = await ResponseAsync(process.StandardOutput, i + 1, cancellationToken)
                    ?? throw new InvalidOperationException($"stdout closed before the response to request {i + 1}; stderr: {await stderr}");
            }

            process.StandardInput.Close();
            await process.WaitForExitAsync(cancellationToken);
            string log = await stderr;
            Assert.False(result.TryGetProperty("isError", out JsonElement isError) && isError.GetBoolean(), result + "\n" + log);
            return (result.GetProperty("structuredContent"), log);
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

    /// <summary>Reads lines until the response with this id; its result, or null when stdout closed first.</summary>
    private static async Task<JsonElement?> ResponseAsync(StreamReader stdout, int id, CancellationToken cancellationToken)
    {
        while (await stdout.ReadLineAsync(cancellationToken) is { } line)
        {
            using JsonDocument response = JsonDocument.Parse(line);
            if (response.RootElement.TryGetProperty("id", out JsonElement got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == id)
            {
                return response.RootElement.GetProperty("result").Clone();
            }
        }

        return null;
    }

    /// <summary>The executable copied alone into an empty folder, with a fresh HOME and XDG folders inside the scope.</summary>
    private static (string Binary, Dictionary<string, string> Environment, string Folder) Alone(MeshScope scope)
    {
        string folder = Directory.CreateDirectory(Path.Combine(scope.Directory, "alone")).FullName;
        string binary = Path.Combine(folder, "meshfleet");
        File.Copy(MeshfleetBinary.Path, binary); // keeps the execute bit on Unix
        string home = Directory.CreateDirectory(Path.Combine(scope.Directory, "home")).FullName;
        var environment = new Dictionary<string, string>(scope.Environment)
        {
            ["HOME"] = home,
            ["XDG_CACHE_HOME"] = Path.Combine(home, ".cache"),
            ["XDG_CONFIG_HOME"] = Path.Combine(home, ".config"),
            ["XDG_DATA_HOME"] = Path.Combine(home, ".local", "share"),
        };
        return (binary, environment, folder);
    }

    private static string[] CachedLibraries(IReadOnlyDictionary<string, string> environment) =>
        Directory.EnumerateFiles(Path.Combine(environment["XDG_CACHE_HOME"], "meshfleet"), "libonnxruntime*", SearchOption.AllDirectories).ToArray();

    /// <summary>A JIT build (the one beside the tests) needs meshfleet.dll and the runtime; only a Native AOT build is one file.</summary>
    private bool IsNativeAot()
    {
        if (File.Exists(Path.Combine(Path.GetDirectoryName(MeshfleetBinary.Path)!, "meshfleet.dll")))
        {
            output.WriteLine($"SKIPPED: {MeshfleetBinary.Path} is not a Native AOT build; set MESHFLEET_BIN to out/meshfleet from `dotnet publish src/Meshfleet -c Release -o out`.");
            return false;
        }

        return true;
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
