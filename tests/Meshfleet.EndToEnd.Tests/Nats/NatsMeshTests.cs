using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;
using Meshfleet.Storage.Nats.Tests;
using ModelContextProtocol.Client;
using ModelContextProtocol.Protocol;
using Xunit;

namespace Meshfleet.EndToEnd.Tests.Nats;

/// <summary>
/// Meshfleet processes on different ports (as on different machines) joined through one real nats-server: one mesh,
/// every process pushes what any other committed, and the mesh's duties run on exactly one of them at a time.
/// </summary>
public sealed class NatsMeshTests : IAsyncLifetime
{
    private NatsServer? _nats;

    private NatsServer Nats => _nats!;

    public async Task InitializeAsync() => _nats = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_nats is not null)
        {
            await _nats.DisposeAsync();
        }
    }

    [Fact]
    public async Task Two_serve_processes_on_one_nats_server_act_as_one_mesh()
    {
        Dictionary<string, string> mesh = NewMesh();
        await using var scopeA = new MeshScope();
        await using var scopeB = new MeshScope();
        CancellationToken timeout = scopeA.Timeout;
        await using ServeProcess a = await ServeProcess.StartAsync(scopeA, extra: mesh);
        await using ServeProcess b = await ServeProcess.StartAsync(scopeB, extra: mesh);
        await using McpClient clientA = await a.ConnectAsync();
        await using McpClient clientB = await b.ConnectAsync();

        // Two processes, two ports, one store.
        JsonElement healthA = await scopeA.Http.GetFromJsonAsync<JsonElement>("/healthz", timeout);
        JsonElement healthB = await scopeB.Http.GetFromJsonAsync<JsonElement>("/healthz", timeout);
        Assert.Equal(healthA.GetProperty("store_id").GetString(), healthB.GetProperty("store_id").GetString());
        Assert.NotEqual(healthA.GetProperty("pid").GetInt32(), healthB.GetProperty("pid").GetInt32());

        // Sent through A, pushed on a stream held by B.
        await using SseProbe streamOnB = await SseProbe.OpenAsync(scopeB.Http, "/inbox/bob/stream", timeout);
        Assert.Equal("retry: 2000\n\n", await streamOnB.ReadBlockAsync(timeout));
        JsonElement sent = await CallAsync(clientA, "send_message", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "bob", ["payload"] = "hello from A" }, timeout);
        JsonElement pushed = await streamOnB.ReadMessageAsync(timeout);
        Assert.Equal(sent.GetProperty("message_id").GetString(), pushed.GetProperty("message_id").GetString());
        Assert.Equal(sent.GetProperty("seq").GetInt64(), pushed.GetProperty("seq").GetInt64());
        Assert.Equal("hello from A", pushed.GetProperty("payload").GetString());

        // Polled on either process: the same message, the same cursor.
        foreach (McpClient client in new[] { clientA, clientB })
        {
            JsonElement page = await CallAsync(client, "get_inbox", new() { ["agent_id"] = "bob" }, timeout);
            JsonElement message = Assert.Single(page.GetProperty("messages").EnumerateArray());
            Assert.Equal(sent.GetProperty("message_id").GetString(), message.GetProperty("message_id").GetString());
            Assert.Equal(sent.GetProperty("seq").GetInt64(), page.GetProperty("next_since").GetInt64());
        }

        // A long poll waiting on B is woken by a send through A (B's tail sees A's append), and the other way round.
        Task<JsonElement> waitingOnB = CallAsync(clientB, "get_inbox", new() { ["agent_id"] = "carol", ["wait_seconds"] = 30 }, timeout);
        JsonElement toCarol = await CallAsync(clientA, "send_message", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "carol", ["payload"] = "wake up" }, timeout);
        JsonElement woken = Assert.Single((await waitingOnB).GetProperty("messages").EnumerateArray());
        Assert.Equal(toCarol.GetProperty("message_id").GetString(), woken.GetProperty("message_id").GetString());

        // An idempotent send retried through the other process returns the first message; nothing new is stored.
        var keyed = new Dictionary<string, object?> { ["from_agent_id"] = "alice", ["to_agent_id"] = "bob", ["payload"] = "once", ["idempotency_key"] = "order-42" };
        JsonElement first = await CallAsync(clientA, "send_message", keyed, timeout);
        JsonElement retried = await CallAsync(clientB, "send_message", keyed, timeout);
        Assert.Equal(first.GetProperty("message_id").GetString(), retried.GetProperty("message_id").GetString());
        Assert.Equal(first.GetProperty("seq").GetInt64(), retried.GetProperty("seq").GetInt64());

        // B's stream got exactly that one message next (no duplicate from the retry), and a stream resumed on A with
        // Last-Event-ID replays bob's inbox after the cursor without a gap.
        JsonElement once = await streamOnB.ReadMessageAsync(timeout);
        Assert.Equal(first.GetProperty("message_id").GetString(), once.GetProperty("message_id").GetString());
        await using SseProbe resumedOnA = await SseProbe.OpenAsync(scopeA.Http, "/inbox/bob/stream", timeout, lastEventId: sent.GetProperty("seq").GetInt64().ToString(CultureInfo.InvariantCulture));
        Assert.Equal(first.GetProperty("message_id").GetString(), (await resumedOnA.ReadMessageAsync(timeout)).GetProperty("message_id").GetString());
        JsonElement last = await CallAsync(clientB, "send_message", new() { ["from_agent_id"] = "dave", ["to_agent_id"] = "bob", ["payload"] = "last" }, timeout);
        Assert.Equal(last.GetProperty("message_id").GetString(), (await streamOnB.ReadMessageAsync(timeout)).GetProperty("message_id").GetString());
        Assert.Equal(last.GetProperty("message_id").GetString(), (await resumedOnA.ReadMessageAsync(timeout)).GetProperty("message_id").GetString());
    }

    [Fact]
    public async Task Only_one_process_on_a_nats_mesh_runs_the_sweeps_and_another_takes_over_when_it_is_killed()
    {
        Dictionary<string, string> mesh = NewMesh();
        await using var scopeA = new MeshScope();
        await using var scopeB = new MeshScope();
        MeshNode first = await scopeA.StartNodeAsync(mesh);
        await first.StderrLineAsync("runs the store's sweeps").WaitAsync(scopeA.Timeout);
        MeshNode second = await scopeB.StartNodeAsync(mesh);
        await second.Listening.WaitAsync(scopeB.Timeout);

        // Each holds a port of its own (no port election with NATS), but only the lease holder sweeps.
        string leaves = await second.StderrLineAsync("leaves the store's sweeps").WaitAsync(scopeB.Timeout);
        Assert.Contains(first.Pid.ToString(CultureInfo.InvariantCulture), leaves, StringComparison.Ordinal);
        Assert.DoesNotContain(second.Stderr, l => l.Contains("runs the store's sweeps", StringComparison.Ordinal));

        await first.KillAsync();
        await second.StderrLineAsync("runs the store's sweeps").WaitAsync(scopeB.Timeout);
    }

    [Fact]
    public async Task A_redelivery_scheduled_by_the_lease_holder_reaches_a_stream_held_by_another_process()
    {
        Dictionary<string, string> mesh = NewMesh();
        mesh["MESHFLEET_ACK_BASE_MS"] = "100";
        await using var scopeA = new MeshScope();
        await using var scopeB = new MeshScope();
        MeshNode holder = await scopeA.StartNodeAsync(mesh);
        await holder.StderrLineAsync("runs the store's sweeps").WaitAsync(scopeA.Timeout);
        MeshNode other = await scopeB.StartNodeAsync(mesh);
        await other.StderrLineAsync("leaves the store's sweeps").WaitAsync(scopeB.Timeout);

        await using SseProbe streamOnOther = await SseProbe.OpenAsync(scopeB.Http, "/inbox/bob/stream", scopeB.Timeout);
        JsonElement sent = await holder.CallAsync("send_message", new() { ["from_agent_id"] = "alice", ["to_agent_id"] = "bob", ["payload"] = "ack me", ["requires_ack"] = true });
        string id = sent.GetProperty("message_id").GetString()!;
        Assert.Equal(id, (await streamOnOther.ReadMessageAsync(scopeB.Timeout)).GetProperty("message_id").GetString());

        // The redelivery comes from the holder's schedule but through the other process's stream: an event without an
        // id (it is not a new position in the inbox), carrying the same message.
        string redelivered = await streamOnOther.ReadEventAsync(scopeB.Timeout);
        Assert.StartsWith("event: message\ndata: ", redelivered, StringComparison.Ordinal);
        Assert.Equal(id, JsonElement.Parse(redelivered.Split('\n')[1]["data: ".Length..]).GetProperty("message_id").GetString());

        await other.CallAsync("ack_message", new() { ["agent_id"] = "bob", ["message_id"] = id });
        JsonElement status = await holder.CallAsync("get_message_status", new() { ["message_id"] = id });
        Assert.Equal("acked", status.GetProperty("status").GetString());
    }

    [Fact]
    public async Task Serve_without_the_meshs_token_is_refused_naming_the_nats_mesh_not_a_file()
    {
        Dictionary<string, string> mesh = NewMesh();
        await using var scope = new MeshScope();
        await using (ServeProcess protector = await ServeProcess.StartAsync(scope, "a-long-enough-mesh-token", mesh))
        {
        }

        var environment = new Dictionary<string, string>(scope.Environment);
        foreach ((string name, string value) in mesh)
        {
            environment[name] = value;
        }

        CliRun tokenless = await MeshfleetBinary.RunAsync(environment, scope.Timeout, "serve");
        Assert.Equal(1, tokenless.ExitCode);
        Assert.Contains($"the NATS mesh '{mesh["MESHFLEET_NATS_MESH"]}' at {Nats.Url} belongs to a token-protected mesh", tokenless.Stderr, StringComparison.Ordinal);
        Assert.DoesNotContain(".db", tokenless.Stderr, StringComparison.Ordinal);
    }

    private Dictionary<string, string> NewMesh() => new()
    {
        ["MESHFLEET_NATS_URL"] = Nats.Url,
        ["MESHFLEET_NATS_MESH"] = "e2e" + Guid.NewGuid().ToString("N")[..10],
    };

    private static async Task<JsonElement> CallAsync(McpClient client, string tool, Dictionary<string, object?> arguments, CancellationToken cancellationToken)
    {
        CallToolResult result = await client.CallToolAsync(tool, arguments, cancellationToken: cancellationToken);
        string text = string.Join("\n", result.Content.OfType<TextContentBlock>().Select(c => c.Text));
        Assert.True(result.IsError != true, $"{tool} failed: {text}");
        return JsonElement.Parse(text);
    }
}
