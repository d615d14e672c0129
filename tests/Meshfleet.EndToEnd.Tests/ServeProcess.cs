using System.Diagnostics;
using System.Net.Http.Headers;
using ModelContextProtocol.Client;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>A real <c>meshfleet serve</c> process on a scope's store and port, ready once it logs that it listens.</summary>
internal sealed class ServeProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly MeshScope _scope;

    private ServeProcess(Process process, MeshScope scope, string? token)
    {
        _process = process;
        _scope = scope;
        Token = token;
    }

    public string? Token { get; }

    /// <summary>Settings for tests about something else than agent identity, which is on by default with a token.</summary>
    public static IReadOnlyDictionary<string, string> IdentityOff { get; } = new Dictionary<string, string> { ["MESHFLEET_AGENT_IDENTITY"] = "off" };

    public int Pid => _process.Id;

    public string McpUrl => $"http://127.0.0.1:{_scope.Port}/mcp";

    public static async Task<ServeProcess> StartAsync(MeshScope scope, string? token = null, IReadOnlyDictionary<string, string>? extra = null)
    {
        var environment = new Dictionary<string, string>(scope.Environment);
        if (token is not null)
        {
            environment["MESHFLEET_TOKEN"] = token;
        }

        foreach ((string key, string value) in extra ?? new Dictionary<string, string>())
        {
            environment[key] = value;
        }

        Process process = Process.Start(MeshfleetBinary.StartInfo(environment, "serve"))!;
        var listening = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        process.ErrorDataReceived += (_, e) =>
        {
            if (e.Data?.Contains("SSE listening", StringComparison.Ordinal) == true)
            {
                listening.TrySetResult();
            }
        };
        process.BeginErrorReadLine();
        Task exited = process.WaitForExitAsync(scope.Timeout);
        if (await Task.WhenAny(listening.Task, exited) == exited)
        {
            // Never leave it behind: when the deadline passed instead, the process is still running.
            if (!process.HasExited)
            {
                process.Kill();
                await process.WaitForExitAsync(CancellationToken.None);
                process.Dispose();
                throw new InvalidOperationException("meshfleet serve did not start listening before the test's deadline");
            }

            int code = process.ExitCode;
            process.Dispose();
            throw new InvalidOperationException($"meshfleet serve exited with {code} before listening");
        }

        return new ServeProcess(process, scope, token);
    }

    /// <summary>
    /// An MCP client over Streamable HTTP, with the bearer token when there is one. Without a protocol version the client
    /// probes <c>server/discover</c> and speaks 2026-07-28 (stateless, no session); with one (2025-11-25 or older) it
    /// sends <c>initialize</c> and gets a session.
    /// </summary>
    public async Task<McpClient> ConnectAsync(string? token = null, string? protocolVersion = null)
    {
        var headers = new Dictionary<string, string>();
        if ((token ?? Token) is { } bearer)
        {
            headers["Authorization"] = $"Bearer {bearer}";
        }

        var transport = new HttpClientTransport(new HttpClientTransportOptions
        {
            Endpoint = new Uri(McpUrl),
            TransportMode = HttpTransportMode.StreamableHttp,
            AdditionalHeaders = headers,
        });
        return await McpClient.CreateAsync(transport, new McpClientOptions { ProtocolVersion = protocolVersion }, cancellationToken: _scope.Timeout);
    }

    public HttpRequestMessage Request(HttpMethod method, string path, bool withToken = true)
    {
        var request = new HttpRequestMessage(method, path);
        if (withToken && Token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", Token);
        }

        return request;
    }

    public async ValueTask DisposeAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill();
            await _process.WaitForExitAsync();
        }

        _process.Dispose();
    }
}
