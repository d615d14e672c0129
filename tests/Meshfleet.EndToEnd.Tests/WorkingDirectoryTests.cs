using System.Diagnostics;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// An MCP client spawns the server in the user's project folder. What lies there belongs to the project: settings come
/// from MESHFLEET_* and the command line only, and the folder is not watched.
/// </summary>
public sealed class WorkingDirectoryTests
{
    [Fact]
    public async Task An_appsettings_json_in_the_working_directory_neither_configures_the_server_nor_gets_watched()
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // reads /proc
        }

        await using var scope = new MeshScope();
        string project = Directory.CreateDirectory(Path.Combine(scope.Directory, "project")).FullName;
        Directory.CreateDirectory(Path.Combine(project, "src", "app"));

        // An ASP.NET project's own settings. The slim web host used to load them as ours (turning host and MCP logging to
        // trace) and to watch the whole folder tree for changes to them (a thread, an inotify watch per subdirectory).
        await File.WriteAllTextAsync(
            Path.Combine(project, "appsettings.json"),
            """{"Logging":{"LogLevel":{"Default":"Trace","Microsoft.Extensions.Hosting":"Trace","ModelContextProtocol":"Trace"}}}""",
            scope.Timeout);

        ProcessStartInfo info = MeshfleetBinary.StartInfo(scope.Environment);
        info.WorkingDirectory = project;
        using Process process = Process.Start(info)!;
        Task<string> stderr = process.StandardError.ReadToEndAsync(scope.Timeout);
        try
        {
            await process.StandardInput.WriteLineAsync(
                """{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"protocolVersion":"2025-06-18","capabilities":{},"clientInfo":{"name":"cwd-test","version":"1"}}}""");
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","method":"notifications/initialized"}""");
            await process.StandardInput.WriteLineAsync("""{"jsonrpc":"2.0","id":2,"method":"tools/list"}""");
            await process.StandardInput.FlushAsync(scope.Timeout);
            Assert.True(await AnsweredAsync(process.StandardOutput, 2, scope.Timeout), "stdout closed before tools/list was answered");

            // The host is built and started before the first request is read: a watcher would exist by now.
            string?[] descriptors = Directory.GetFiles($"/proc/{process.Id}/fd").Select(fd => new FileInfo(fd).LinkTarget).ToArray();
            Assert.DoesNotContain("anon_inode:inotify", descriptors);

            process.StandardInput.Close();
            await process.WaitForExitAsync(scope.Timeout);
            string log = await stderr;
            Assert.DoesNotContain("dbug:", log, StringComparison.Ordinal);
            Assert.DoesNotContain("trce:", log, StringComparison.Ordinal);
            Assert.Contains($"Store: {scope.DatabasePath}", log, StringComparison.Ordinal); // information still logs
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

    private static async Task<bool> AnsweredAsync(StreamReader stdout, int id, CancellationToken cancellationToken)
    {
        while (await stdout.ReadLineAsync(cancellationToken) is { } line)
        {
            using JsonDocument response = JsonDocument.Parse(line);
            if (response.RootElement.TryGetProperty("id", out JsonElement got) && got.ValueKind == JsonValueKind.Number && got.GetInt32() == id)
            {
                return true;
            }
        }

        return false;
    }
}
