using System.Net;
using System.Net.Http.Json;
using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>The SSE listener of the real executable, read byte for byte over TCP.</summary>
public sealed class SseStreamTests
{
    [Fact]
    public async Task Stream_pushes_each_message_as_a_spec_shaped_event()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartHubAsync();
        JsonElement ticket = await node.CallAsync("subscribe_inbox", new() { ["agent_id"] = "coder" });
        string url = ticket.GetProperty("stream_url").GetString()!;
        Assert.Equal($"http://127.0.0.1:{scope.Port}/inbox/coder/stream", url);

        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, url, scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, probe.Response.StatusCode);
        Assert.Equal("text/event-stream", probe.Response.Content.Headers.ContentType!.MediaType);
        Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));

        JsonElement receipt = await node.SendAsync("planner", "coder", "line one\nline \"two\"");
        string block = await probe.ReadEventAsync(scope.Timeout);

        long seq = receipt.GetProperty("seq").GetInt64();
        string id = receipt.GetProperty("message_id").GetString()!;
        long ts = receipt.GetProperty("timestamp").GetInt64();
        string expected = $"id: {seq}\nevent: message\ndata: {{\"message_id\":\"{id}\",\"seq\":{seq},\"from_agent_id\":\"planner\",\"to_agent_id\":\"coder\",\"payload\":\"line one\\nline \\\"two\\\"\",\"timestamp\":{ts}}}\n\n";
        Assert.Equal(expected, block);
    }

    [Fact]
    public async Task Stream_resumes_after_last_event_id_without_gap_or_duplicate()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartHubAsync();
        var seqs = new List<long>();
        for (int i = 0; i < 3; i++)
        {
            seqs.Add((await node.SendAsync("a", "b", $"m{i}")).GetProperty("seq").GetInt64());
        }

        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout, lastEventId: seqs[0].ToString(System.Globalization.CultureInfo.InvariantCulture));
        Assert.StartsWith($"id: {seqs[1]}\n", await probe.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        Assert.StartsWith($"id: {seqs[2]}\n", await probe.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);

        long live = (await node.SendAsync("a", "b", "live")).GetProperty("seq").GetInt64();
        Assert.StartsWith($"id: {live}\n", await probe.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);

        await using SseProbe bySince = await SseProbe.OpenAsync(scope.Http, $"/inbox/b/stream?since={seqs[2]}", scope.Timeout);
        Assert.StartsWith($"id: {live}\n", await bySince.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
    }

    [Fact]
    public async Task Sixth_stream_of_an_agent_gets_429_json_and_a_closed_one_frees_a_place()
    {
        await using var scope = new MeshScope();
        await scope.StartHubAsync();
        var open = new List<SseProbe>();
        for (int i = 0; i < 5; i++)
        {
            SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/busy/stream", scope.Timeout);
            Assert.Equal(HttpStatusCode.OK, probe.Response.StatusCode);
            Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));
            open.Add(probe);
        }

        using HttpResponseMessage refused = await scope.Http.GetAsync("/inbox/busy/stream", HttpCompletionOption.ResponseHeadersRead, scope.Timeout);
        Assert.Equal(HttpStatusCode.TooManyRequests, refused.StatusCode);
        JsonElement error = JsonDocument.Parse(await refused.Content.ReadAsStringAsync(scope.Timeout)).RootElement;
        Assert.Equal("too_many_streams", error.GetProperty("error").GetString());
        Assert.Contains("5 streams", error.GetProperty("detail").GetString(), StringComparison.Ordinal);

        await using SseProbe other = await SseProbe.OpenAsync(scope.Http, "/inbox/someone-else/stream", scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, other.Response.StatusCode);

        foreach (SseProbe probe in open)
        {
            await probe.DisposeAsync();
        }
    }

    [Theory]
    [InlineData("/inbox/has%20space/stream", 400, "invalid_request")]
    [InlineData("/inbox/b/stream?since=abc", 400, "invalid_request")]
    [InlineData("/inbox/b/stream?since=-4", 400, "invalid_request")]
    [InlineData("/inbox/aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa/stream", 400, "invalid_request")]
    [InlineData("/inbox/b", 404, "not_found")]
    [InlineData("/inbox//stream", 404, "not_found")]
    [InlineData("/nothing/here", 404, "not_found")]
    public async Task Malformed_paths_get_json_errors(string path, int status, string code)
    {
        await using var scope = new MeshScope();
        await scope.StartHubAsync();
        using HttpResponseMessage response = await scope.Http.GetAsync(path, scope.Timeout);
        Assert.Equal(status, (int)response.StatusCode);
        JsonElement error = JsonDocument.Parse(await response.Content.ReadAsStringAsync(scope.Timeout)).RootElement;
        Assert.Equal(code, error.GetProperty("error").GetString());
        Assert.False(string.IsNullOrWhiteSpace(error.GetProperty("detail").GetString()));
        Assert.Equal("ok", (await scope.Http.GetFromJsonAsync<JsonElement>("/healthz", scope.Timeout)).GetProperty("status").GetString());
    }

    [Fact]
    public async Task Foreign_host_or_origin_is_refused_with_403()
    {
        await using var scope = new MeshScope();
        await scope.StartHubAsync();

        using var rebinding = new HttpRequestMessage(HttpMethod.Get, "/inbox/b/stream");
        rebinding.Headers.Host = "attacker.example";
        using HttpResponseMessage byHost = await scope.Http.SendAsync(rebinding, scope.Timeout);
        Assert.Equal(HttpStatusCode.Forbidden, byHost.StatusCode);

        using var crossSite = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        crossSite.Headers.Add("Origin", "https://attacker.example");
        using HttpResponseMessage byOrigin = await scope.Http.SendAsync(crossSite, scope.Timeout);
        Assert.Equal(HttpStatusCode.Forbidden, byOrigin.StatusCode);

        using var local = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        local.Headers.Host = $"localhost:{scope.Port}";
        using HttpResponseMessage allowed = await scope.Http.SendAsync(local, scope.Timeout);
        Assert.Equal(HttpStatusCode.OK, allowed.StatusCode);
    }

    [Fact]
    public async Task Idle_stream_gets_heartbeat_comments()
    {
        await using var scope = new MeshScope();
        MeshNode node = await scope.StartNodeAsync(new Dictionary<string, string> { ["MESHFLEET_HEARTBEAT_SECONDS"] = "1" });
        await node.Listening.WaitAsync(scope.Timeout);
        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/quiet/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));
        Assert.Equal(": heartbeat\n\n", await probe.ReadBlockAsync(scope.Timeout));
    }

    [Fact]
    public async Task Message_sent_through_a_second_process_is_pushed_by_the_hub()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        MeshNode other = await scope.StartNodeAsync();
        await using SseProbe probe = await SseProbe.OpenAsync(scope.Http, "/inbox/b/stream", scope.Timeout);
        Assert.Equal("retry: 2000\n\n", await probe.ReadBlockAsync(scope.Timeout));

        JsonElement ticket = await other.CallAsync("subscribe_inbox", new() { ["agent_id"] = "b" });
        Assert.Equal($"http://127.0.0.1:{scope.Port}/inbox/b/stream", ticket.GetProperty("stream_url").GetString());

        long seq = (await other.SendAsync("a", "b", "from the other process")).GetProperty("seq").GetInt64();
        Assert.StartsWith($"id: {seq}\n", await probe.ReadEventAsync(scope.Timeout), StringComparison.Ordinal);
        Assert.NotNull(hub);
    }
}
