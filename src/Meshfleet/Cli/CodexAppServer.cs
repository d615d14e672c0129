using System.Collections.Concurrent;
using System.Diagnostics;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;

namespace Meshfleet.Cli;

/// <summary>
/// One JSON-RPC connection to Codex's app-server over a child process's stdio (Codex omits the "jsonrpc" member).
/// Plain <c>codex app-server</c> takes one JSON object per line. The default child, <c>codex app-server proxy</c>,
/// reaches the daemon that an interactive Codex TUI uses (so a turn started here appears in that TUI), but it relays
/// raw bytes to the daemon's WebSocket server: through it each message is one WebSocket text frame.
/// </summary>
internal sealed class CodexAppServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TextWriter _diagnostics;
    private readonly WebSocket? _socket;
    private readonly Task _reading;
    private long _nextId;

    private CodexAppServer(Process process, WebSocket? socket, TextWriter diagnostics)
    {
        _process = process;
        _socket = socket;
        _diagnostics = diagnostics;
        _reading = ReadResponsesAsync();
    }

    /// <summary>
    /// True when <paramref name="command"/> is <c>codex app-server proxy</c> (any command with a <c>proxy</c> word),
    /// which speaks WebSocket through its stdio; anything else is taken to speak JSON lines.
    /// </summary>
    public static bool SpeaksWebSocket(IReadOnlyList<string> command) =>
        command.Skip(1).Any(word => word == "proxy");

    /// <summary>True while the child process runs.</summary>
    public bool IsAlive => !_process.HasExited;

    /// <summary>Starts <paramref name="command"/> and completes the initialize handshake.</summary>
    public static async Task<CodexAppServer> StartAsync(IReadOnlyList<string> command, TextWriter diagnostics, CancellationToken cancellationToken)
    {
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = false,
            UseShellExecute = false,
            StandardInputEncoding = new UTF8Encoding(false),
            StandardOutputEncoding = Encoding.UTF8,
        };
        foreach (string argument in command.Skip(1))
        {
            info.ArgumentList.Add(argument);
        }

        Process process = Process.Start(info) ?? throw new IOException($"could not start '{string.Join(' ', command)}'");
        WebSocket? socket = null;
        if (SpeaksWebSocket(command))
        {
            try
            {
                using var handshake = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
                handshake.CancelAfter(TimeSpan.FromSeconds(30));
                var stdio = new ChildStdioStream(process.StandardOutput.BaseStream, process.StandardInput.BaseStream);
                socket = await CodexWebSocketHandshake.ConnectAsync(stdio, handshake.Token);
            }
            catch (Exception ex) when (ex is IOException or OperationCanceledException)
            {
                StopChild(process);
                process.Dispose();
                cancellationToken.ThrowIfCancellationRequested();
                throw ex is IOException ? ex : new IOException("Codex app-server proxy did not answer the WebSocket upgrade within 30 s");
            }
        }

        var server = new CodexAppServer(process, socket, diagnostics);
        try
        {
            await server.CallAsync("initialize", json =>
            {
                json.WriteStartObject("clientInfo");
                json.WriteString("name", "meshfleet");
                json.WriteString("title", "Meshfleet bridge");
                json.WriteString("version", ProductInfo.Version);
                json.WriteEndObject();
            }, cancellationToken);
            await server.WriteAsync(json => json.WriteString("method", "initialized"), cancellationToken);
            return server;
        }
        catch
        {
            await server.DisposeAsync();
            throw;
        }
    }

    /// <summary>Thread ids loaded in the app-server (the TUI's open conversation among them).</summary>
    public async Task<IReadOnlyList<string>> ListLoadedThreadsAsync(CancellationToken cancellationToken)
    {
        JsonElement result = await CallAsync("thread/loaded/list", _ => { }, cancellationToken);
        return result.TryGetProperty("data", out JsonElement data) && data.ValueKind == JsonValueKind.Array
            ? [.. data.EnumerateArray().Where(t => t.ValueKind == JsonValueKind.String).Select(t => t.GetString()!)]
            : [];
    }

    /// <summary>Starts a turn on <paramref name="threadId"/> whose user input is <paramref name="text"/>.</summary>
    public Task StartTurnAsync(string threadId, string text, CancellationToken cancellationToken) =>
        CallAsync("turn/start", json =>
        {
            json.WriteString("threadId", threadId);
            json.WriteStartArray("input");
            json.WriteStartObject();
            json.WriteString("type", "text");
            json.WriteString("text", text);
            json.WriteEndObject();
            json.WriteEndArray();
        }, cancellationToken);

    private async Task<JsonElement> CallAsync(string method, Action<Utf8JsonWriter> writeParams, CancellationToken cancellationToken)
    {
        long id = Interlocked.Increment(ref _nextId);
        var answer = new TaskCompletionSource<JsonElement>(TaskCreationOptions.RunContinuationsAsynchronously);
        _pending[id] = answer;
        try
        {
            await WriteAsync(json =>
            {
                json.WriteNumber("id", id);
                json.WriteString("method", method);
                json.WriteStartObject("params");
                writeParams(json);
                json.WriteEndObject();
            }, cancellationToken);
            return await answer.Task.WaitAsync(TimeSpan.FromSeconds(30), cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new IOException($"Codex app-server did not answer {method} within 30 s");
        }
        finally
        {
            _pending.TryRemove(id, out _);
        }
    }

    private async Task WriteAsync(Action<Utf8JsonWriter> writeMembers, CancellationToken cancellationToken)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            writeMembers(json);
            json.WriteEndObject();
        }

        await _writeLock.WaitAsync(cancellationToken);
        try
        {
            if (_socket is not null)
            {
                await _socket.SendAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), WebSocketMessageType.Text, endOfMessage: true, cancellationToken);
                return;
            }

            buffer.WriteByte((byte)'\n');
            Stream input = _process.StandardInput.BaseStream;
            await input.WriteAsync(buffer.GetBuffer().AsMemory(0, (int)buffer.Length), cancellationToken);
            await input.FlushAsync(cancellationToken);
        }
        finally
        {
            _writeLock.Release();
        }
    }

    private async Task ReadResponsesAsync()
    {
        try
        {
            if (_socket is not null)
            {
                await ReadFramesAsync(_socket);
            }
            else
            {
                while (await _process.StandardOutput.ReadLineAsync() is { } line)
                {
                    HandleLine(line);
                }
            }
        }
        catch (Exception ex) when (ex is IOException or WebSocketException or ObjectDisposedException)
        {
            // The child died; the pending calls fail below.
        }

        foreach (TaskCompletionSource<JsonElement> waiter in _pending.Values)
        {
            waiter.TrySetException(new IOException("the Codex app-server process exited"));
        }
    }

    private async Task ReadFramesAsync(WebSocket socket)
    {
        byte[] chunk = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            ValueWebSocketReceiveResult received = await socket.ReceiveAsync(chunk.AsMemory(), CancellationToken.None);
            if (received.MessageType == WebSocketMessageType.Close)
            {
                return;
            }

            message.Write(chunk, 0, received.Count);
            if (received.EndOfMessage)
            {
                HandleLine(Encoding.UTF8.GetString(message.GetBuffer(), 0, (int)message.Length));
                message.SetLength(0);
            }
        }
    }

    private static void StopChild(Process process)
    {
        try
        {
            process.StandardInput.Close();
            if (!process.WaitForExit(TimeSpan.FromSeconds(2)))
            {
                process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Already gone.
        }
    }

    private void HandleLine(string line)
    {
        JsonElement message;
        try
        {
            using JsonDocument document = JsonDocument.Parse(line);
            message = document.RootElement.Clone();
        }
        catch (JsonException)
        {
            return;
        }

        if (message.ValueKind != JsonValueKind.Object || !message.TryGetProperty("id", out JsonElement idElement) || !idElement.TryGetInt64(out long id))
        {
            return;
        }

        if (message.TryGetProperty("method", out JsonElement method))
        {
            // A request from the server (an approval, say) belongs to the person at the TUI; the bridge leaves it unanswered.
            _diagnostics.WriteLine($"meshfleet: Codex asked the bridge '{method}'; left to the Codex UI.");
            return;
        }

        if (!_pending.TryGetValue(id, out TaskCompletionSource<JsonElement>? waiter))
        {
            return;
        }

        if (message.TryGetProperty("error", out JsonElement error))
        {
            string text = error.TryGetProperty("message", out JsonElement m) ? m.ToString() : error.GetRawText();
            waiter.TrySetException(new CodexRequestException(text));
        }
        else
        {
            waiter.TrySetResult(message.TryGetProperty("result", out JsonElement result) ? result : default);
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Closing the child's stdin ends the proxy too, which drops its connection to the daemon.
        StopChild(_process);
        await _reading.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default);
        _socket?.Dispose();
        _process.Dispose();
        _writeLock.Dispose();
    }
}
