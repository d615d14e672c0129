using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace Meshfleet.Cli;

/// <summary>
/// One JSON-RPC connection to Codex's app-server over a child process's stdio, one JSON object per line (Codex omits
/// the "jsonrpc" member). By default the child is <c>codex app-server proxy</c>, which reaches the daemon that an
/// interactive Codex TUI uses, so a turn started here appears in that TUI.
/// </summary>
internal sealed class CodexAppServer : IAsyncDisposable
{
    private readonly Process _process;
    private readonly ConcurrentDictionary<long, TaskCompletionSource<JsonElement>> _pending = new();
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly TextWriter _diagnostics;
    private readonly Task _reading;
    private long _nextId;

    private CodexAppServer(Process process, TextWriter diagnostics)
    {
        _process = process;
        _diagnostics = diagnostics;
        _reading = ReadResponsesAsync();
    }

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
        var server = new CodexAppServer(process, diagnostics);
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

        buffer.WriteByte((byte)'\n');
        await _writeLock.WaitAsync(cancellationToken);
        try
        {
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
            while (await _process.StandardOutput.ReadLineAsync() is { } line)
            {
                HandleLine(line);
            }
        }
        catch (IOException)
        {
            // The child died; the pending calls fail below.
        }

        foreach (TaskCompletionSource<JsonElement> waiter in _pending.Values)
        {
            waiter.TrySetException(new IOException("the Codex app-server process exited"));
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
        try
        {
            _process.StandardInput.Close();
            if (!_process.WaitForExit(TimeSpan.FromSeconds(2)))
            {
                _process.Kill(entireProcessTree: true);
            }
        }
        catch (Exception ex) when (ex is InvalidOperationException or IOException)
        {
            // Already gone.
        }

        await _reading.WaitAsync(TimeSpan.FromSeconds(2)).ContinueWith(_ => { }, TaskScheduler.Default);
        _process.Dispose();
        _writeLock.Dispose();
    }
}
