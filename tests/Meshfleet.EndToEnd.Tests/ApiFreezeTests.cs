using System.Net.Http.Json;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Encodings.Web;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using ModelContextProtocol;
using ModelContextProtocol.Client;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// The API freeze: what clients build against is compared with the snapshots committed in <c>Snapshots/</c>, from a real
/// <c>meshfleet serve</c>. <c>tools-list.json</c> is the whole <c>tools/list</c> (names, descriptions, input and output
/// schemas, annotations, in order); <c>sse-stream.txt</c> is the shape of an inbox stream transcript;
/// <c>export-records.txt</c> is the shape of each <c>meshfleet export</c> JSON Lines record type (docs/export-format.md); <c>http-api.txt</c> is the
/// plain HTTP API's transcript (status, content type, Location, body shapes). A change that differs fails
/// with a line diff. To accept a planned change, regenerate them all with one command and commit the result:
/// <code>MESHFLEET_UPDATE_SNAPSHOTS=1 dotnet test tests/Meshfleet.EndToEnd.Tests --filter FullyQualifiedName~ApiFreezeTests</code>
/// (see docs/versioning.md: what a change of each snapshot means for the version number).
/// </summary>
public sealed class ApiFreezeTests
{
    private const string Update = "MESHFLEET_UPDATE_SNAPSHOTS";
    private static readonly JsonSerializerOptions Indented = new() { WriteIndented = true, Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    [Fact]
    public async Task Tools_list_matches_the_snapshot_on_every_revision()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient old = await serve.ConnectAsync(protocolVersion: "2025-11-25");
        await using McpClient modern = await serve.ConnectAsync();

        string tools = await ToolsJsonAsync(old, scope.Timeout);
        Assert.Equal(tools, await ToolsJsonAsync(modern, scope.Timeout));
        Check("tools-list.json", tools);
    }

    [Fact]
    public async Task Sse_stream_and_export_records_match_the_snapshot()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync();
        await client.CallToolAsync("create_fleet", new Dictionary<string, object?> { ["fleet_id"] = "crew", ["description"] = "d" }, cancellationToken: scope.Timeout);
        await client.CallToolAsync("register_agent", new Dictionary<string, object?> { ["agent_id"] = "b", ["fleet_id"] = "crew" }, cancellationToken: scope.Timeout);

        // A bare message and one with every optional field: fields without a value are left out of both formats.
        await client.CallToolAsync("send_message", new Dictionary<string, object?> { ["from_agent_id"] = "a", ["to_agent_id"] = "b", ["payload"] = "hello" }, cancellationToken: scope.Timeout);
        await client.CallToolAsync("send_message", new Dictionary<string, object?>
        {
            ["from_agent_id"] = "a",
            ["to_agent_id"] = "b",
            ["payload"] = "more",
            ["thread_id"] = "t1",
            ["reply_to"] = "m0",
            ["idempotency_key"] = "k1",
            ["requires_ack"] = true,
        }, cancellationToken: scope.Timeout);

        await using (SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout))
        {
            var transcript = new StringBuilder();
            transcript.Append(await probe.ReadBlockAsync(scope.Timeout));
            transcript.Append(await probe.ReadEventAsync(scope.Timeout));
            transcript.Append(await probe.ReadEventAsync(scope.Timeout));
            Check("sse-stream.txt", ShapeOfSse(transcript.ToString()));
        }

        string file = Path.Combine(scope.Directory, "ledger.jsonl");
        CliRun export = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "export", "--out", file);
        Assert.True(export.ExitCode == 0, export.Stderr);
        string[] records = await File.ReadAllLinesAsync(file, scope.Timeout);
        // One line per shape: a header, the fleet, agents, the two messages, delivery facts. Agent and delivery lines
        // write every field (null included) and their values depend on timing (pushes, presence), so only keys count.
        IEnumerable<string> shapes = records.Select(r => JsonNode.Parse(r)!.AsObject()).Select(o => (string?)o["type"] is "agent" or "delivery"
            ? "{" + string.Join(",", o.Select(p => $"\"{p.Key}\"")) + "}"
            : Shape(o));
        Check("export-records.txt", string.Concat(shapes.Distinct().Select(shape => shape + "\n")));
    }

    [Fact]
    public async Task Plain_http_api_matches_the_snapshot()
    {
        await using var scope = new MeshScope();
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        var transcript = new StringBuilder();

        async Task<JsonNode?> CallAsync(HttpMethod method, string path, string? json)
        {
            using var request = new HttpRequestMessage(method, path);
            if (json is not null)
            {
                request.Content = new StringContent(json, Encoding.UTF8, "application/json");
            }

            using HttpResponseMessage response = await scope.Http.SendAsync(request, scope.Timeout);
            JsonNode? body = JsonNode.Parse(await response.Content.ReadAsStringAsync(scope.Timeout));
            string location = response.Headers.Location is { } at ? " Location: " + Regex.Replace(at.OriginalString, "[0-9]+", "<n>") : "";
            transcript.Append(CultureInfoFree($"{method} {path.Split('?')[0]} -> {(int)response.StatusCode} {response.Content.Headers.ContentType}{location}\n{Shape(body)}\n"));
            return body;
        }

        // A first message (to an agent nobody knows yet: the receipt warns), one with every optional field, its repeat
        // (same idempotency_key), a page, an empty page (with its note) and an error.
        await CallAsync(HttpMethod.Post, "/inbox/b/messages", """{"from_agent_id":"a","payload":"hello"}""");
        const string full = """{"from_agent_id":"a","payload":"more","thread_id":"t1","reply_to":"m0","idempotency_key":"k1","requires_ack":true}""";
        await CallAsync(HttpMethod.Post, "/inbox/b/messages", full);
        await CallAsync(HttpMethod.Post, "/inbox/b/messages", full);
        JsonNode? page = await CallAsync(HttpMethod.Get, "/inbox/b/messages?limit=10", null);
        await CallAsync(HttpMethod.Get, $"/inbox/b/messages?since={page!["next_since"]}", null);
        await CallAsync(HttpMethod.Post, "/inbox/b/messages", """{"from_agent_id":"a"}""");
        Check("http-api.txt", transcript.ToString());
    }

    [Fact]
    public async Task Version_is_one_number_in_build_props_cli_server_info_and_healthz()
    {
        string props = await File.ReadAllTextAsync(Path.Combine(RepositoryRoot(), "Directory.Build.props"));
        string version = Regex.Match(props, "<Version>([^<]+)</Version>").Groups[1].Value;

        await using var scope = new MeshScope();
        CliRun cli = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "--version");
        Assert.Contains(version, cli.Stdout, StringComparison.Ordinal);
        await using ServeProcess serve = await ServeProcess.StartAsync(scope);
        await using McpClient client = await serve.ConnectAsync(protocolVersion: "2025-11-25");
        Assert.Equal(version, client.ServerInfo?.Version);
        JsonElement health = await scope.Http.GetFromJsonAsync<JsonElement>("/healthz", scope.Timeout);
        Assert.Equal(version, health.GetProperty("version").GetString());
    }

    private static async Task<string> ToolsJsonAsync(McpClient client, CancellationToken cancellationToken)
    {
        IList<McpClientTool> tools = await client.ListToolsAsync(cancellationToken: cancellationToken);
        JsonNode? all = JsonSerializer.SerializeToNode(tools.Select(t => t.ProtocolTool).ToList(), McpJsonUtilities.DefaultOptions);
        return all!.ToJsonString(Indented).ReplaceLineEndings("\n") + "\n";
    }

    /// <summary>An SSE transcript with each data line's JSON replaced by its shape and each id by its kind.</summary>
    private static string ShapeOfSse(string transcript)
    {
        IEnumerable<string> lines = transcript.Split('\n').Select(line =>
            line.StartsWith("data: ", StringComparison.Ordinal) ? "data: " + Shape(JsonNode.Parse(line["data: ".Length..]))
            : line.StartsWith("id: ", StringComparison.Ordinal) ? "id: <seq>"
            : line);
        return string.Join('\n', lines);
    }

    /// <summary>A JSON value with every leaf replaced by its type, keys kept in the order the server writes them.</summary>
    private static string Shape(JsonNode? node) => node switch
    {
        null => "null",
        JsonObject o => "{" + string.Join(",", o.Select(p => $"\"{p.Key}\":{Shape(p.Value)}")) + "}",
        JsonArray a => "[" + string.Join(",", a.Select(Shape).Distinct()) + "]",
        _ => node.GetValueKind() switch
        {
            JsonValueKind.String => "string",
            JsonValueKind.Number => "number",
            _ => "boolean",
        },
    };

    private static void Check(string name, string actual)
    {
        string path = Path.Combine(SnapshotFolder(), name);
        if (Environment.GetEnvironmentVariable(Update) == "1")
        {
            File.WriteAllText(path, actual);
            return;
        }

        string expected = File.Exists(path) ? File.ReadAllText(path).ReplaceLineEndings("\n") : "";
        if (expected != actual)
        {
            Assert.Fail($"""
                The frozen API changed: {name} differs from tests/Meshfleet.EndToEnd.Tests/Snapshots/{name} (- snapshot, + now).
                {Diff(expected, actual)}
                If this change is planned, regenerate the snapshots, commit them, and note the change in CHANGELOG.md:
                  {Update}=1 dotnet test tests/Meshfleet.EndToEnd.Tests --filter FullyQualifiedName~ApiFreezeTests
                If it is not, undo the change: clients build against these shapes (docs/versioning.md).
                """);
        }
    }

    /// <summary>The lines that differ, with their line numbers: enough to see what moved without a diff tool.</summary>
    private static string Diff(string expected, string actual)
    {
        string[] before = expected.Split('\n');
        string[] after = actual.Split('\n');
        int head = 0;
        while (head < before.Length && head < after.Length && before[head] == after[head])
        {
            head++;
        }

        int tail = 0;
        while (tail < before.Length - head && tail < after.Length - head && before[^(tail + 1)] == after[^(tail + 1)])
        {
            tail++;
        }

        var diff = new StringBuilder();
        diff.Append(CultureInfoFree($"@@ line {head + 1} @@\n"));
        foreach (string line in before[head..^tail].Take(60))
        {
            diff.Append("- ").Append(line).Append('\n');
        }

        foreach (string line in after[head..^tail].Take(60))
        {
            diff.Append("+ ").Append(line).Append('\n');
        }

        return diff.ToString();
    }

    private static string CultureInfoFree(FormattableString text) => FormattableString.Invariant(text);

    private static string SnapshotFolder([CallerFilePath] string here = "") => Path.Combine(Path.GetDirectoryName(here)!, "Snapshots");

    private static string RepositoryRoot([CallerFilePath] string here = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(here)!, "..", ".."));
}
