using System.Globalization;
using System.Text;
using System.Text.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli;

/// <summary>
/// <c>meshfleet inbox --agent ID</c>: prints the agent's messages since the last run and exits; the one-shot a hook calls
/// at a turn boundary. It reads the store directly (no listener needed) and keeps its own cursor like <c>watch</c>.
/// <c>--hook EVENT</c> prints the JSON a Gemini CLI hook returns: for <c>BeforeAgent</c> / <c>AfterTool</c> the messages
/// as additional context, for <c>AfterAgent</c> a "deny" whose reason is the messages, which makes Gemini CLI run one more
/// turn with them instead of going idle.
/// </summary>
internal static class InboxCommand
{
    public const string Usage = "meshfleet inbox --agent ID [--json | --prompt | --hook BeforeAgent|AfterTool|AfterAgent] [--wait SECONDS] [--limit N] " + CursoredFollow.Options;

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CommandArgs(arguments, Usage);
        string agentId = settings.AgentId ?? throw args.Missing("which agent? Pass --agent ID (or set MESHFLEET_AGENT_ID)");
        bool json = args.Switch("--json");
        bool prompt = args.Switch("--prompt");
        string? hook = HookEvent(args.Value("--hook"), args);
        int wait = (int)Math.Min(args.Cursor("--wait") ?? 0, 3600);
        int limit = (int)Math.Clamp(args.Cursor("--limit") ?? 20, 1, 1000);
        long? since = args.Cursor("--since");
        string? name = args.Value("--cursor");
        bool noCursor = args.Switch("--no-cursor");
        args.EnsureEmpty();
        if ((json ? 1 : 0) + (prompt ? 1 : 0) + (hook is null ? 0 : 1) > 1)
        {
            throw args.Missing("--json, --prompt and --hook are formats; pick one");
        }

        using CursorFile? cursor = noCursor ? null : CursorFile.Open(CursorFile.PathFor(settings.DatabasePath, agentId, name ?? "inbox"), exclusive: false);
        await using SqliteMessageStore store = SqliteMessageStore.Open(
            new SqliteStoreOptions { Path = settings.DatabasePath, SyncEveryCommit = settings.SyncEveryCommit }, TimeProvider.System);
        long after = since ?? cursor?.Read() ?? await store.ReadHeadSeqAsync(cancellationToken);
        IReadOnlyList<MeshMessage> messages = await store.ReadInboxAsync(agentId, after, limit, cancellationToken);
        DateTimeOffset deadline = TimeProvider.System.GetUtcNow().AddSeconds(wait);
        while (messages.Count == 0 && TimeProvider.System.GetUtcNow() < deadline)
        {
            // A hook has no stream to hold; the store is checked at the mesh's safety-net interval until the wait ends.
            await Task.Delay(settings.PollInterval, TimeProvider.System, cancellationToken);
            messages = await store.ReadInboxAsync(agentId, after, limit, cancellationToken);
        }

        await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { NewLine = "\n" };
        if (hook is not null)
        {
            await output.WriteLineAsync(HookOutput(hook, messages));
        }
        else
        {
            foreach (MeshMessage message in messages)
            {
                await output.WriteLineAsync(json
                    ? JsonSerializer.Serialize(message, MeshfleetJsonContext.Default.MeshMessage)
                    : prompt ? MessageText.Prompt(message, oneLine: true) : MessageText.Line(message));
            }
        }

        await output.FlushAsync(cancellationToken);
        cursor?.Write(messages.Count > 0 ? messages[^1].Seq : after);
        return 0;
    }

    private static string? HookEvent(string? value, CommandArgs args)
    {
        if (value is null)
        {
            return null;
        }

        foreach (string known in (string[])["BeforeAgent", "AfterTool", "AfterAgent"])
        {
            if (string.Equals(value, known, StringComparison.OrdinalIgnoreCase))
            {
                return known;
            }
        }

        throw args.Missing($"--hook is '{value}'; use BeforeAgent, AfterTool or AfterAgent (Gemini CLI hook events)");
    }

    /// <summary>The hook's stdout: one JSON object, <c>{}</c> when there is nothing new (the turn goes on untouched).</summary>
    private static string HookOutput(string hook, IReadOnlyList<MeshMessage> messages)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (messages.Count > 0)
            {
                string text = string.Join("\n\n", messages.Select(m => MessageText.Prompt(m, oneLine: false)));
                if (hook == "AfterAgent")
                {
                    json.WriteString("decision", "deny");
                    json.WriteString("reason", text);
                }
                else
                {
                    json.WriteStartObject("hookSpecificOutput");
                    json.WriteString("hookEventName", hook);
                    json.WriteString("additionalContext", text);
                    json.WriteEndObject();
                }

                json.WriteString("systemMessage", string.Create(CultureInfo.InvariantCulture, $"meshfleet: {messages.Count} new message(s) for {messages[0].ToAgentId}"));
            }

            json.WriteEndObject();
        }

        return Encoding.UTF8.GetString(buffer.ToArray());
    }
}
