using Meshfleet.Configuration;

namespace Meshfleet.Cli;

/// <summary>
/// What <c>watch</c> and the bridges share: pick the agent and its cursor, decide where to start, follow the inbox,
/// hand each message to the consumer, and save the cursor once the consumer is done with it (at least once, in order).
/// Start: <c>--since SEQ</c> if given, else the saved cursor, else the mesh's head (only messages that arrive from now on);
/// the start is saved at once, so a restart before the first message still resumes from it.
/// </summary>
internal sealed class CursoredFollow
{
    public const string Options = "[--since SEQ] [--cursor NAME | --no-cursor]";

    private readonly string _agentId;
    private readonly CursorFile? _cursor;
    private readonly long? _since;
    private readonly InboxFollower _follower;

    private CursoredFollow(string agentId, CursorFile? cursor, long? since, InboxFollower follower)
    {
        _agentId = agentId;
        _cursor = cursor;
        _since = since;
        _follower = follower;
    }

    /// <summary>Reads the shared options from <paramref name="args"/>; the cursor is named after <paramref name="consumer"/> unless <c>--cursor</c> says otherwise.</summary>
    public static CursoredFollow Create(MeshfleetSettings settings, CommandArgs args, string consumer, HttpClient http, TextWriter diagnostics)
    {
        string agentId = settings.AgentId ?? throw args.Missing("which agent? Pass --agent ID (or set MESHFLEET_AGENT_ID)");
        long? since = args.Cursor("--since");
        string? name = args.Value("--cursor");
        bool noCursor = args.Switch("--no-cursor");
        if (name is not null && (name.Length is 0 or > 64 || !name.All(c => char.IsAsciiLetterOrDigit(c) || c is '-' or '_')))
        {
            throw args.Missing($"--cursor is '{name}'; use 1-64 letters, digits, '-' or '_'");
        }

        CursorFile? cursor = noCursor ? null : CursorFile.Open(CursorFile.PathFor(settings.DatabasePath, agentId, name ?? consumer), exclusive: true);
        var follower = new InboxFollower(http, new Uri(settings.PublicBaseUrl), agentId, settings.Token, TimeProvider.System, diagnostics);
        return new CursoredFollow(agentId, cursor, since, follower);
    }

    public string AgentId => _agentId;

    /// <summary>Follows until cancelled; <paramref name="handle"/> runs once per message, in seq order, before its seq is saved.</summary>
    public async Task RunAsync(Func<FollowedMessage, CancellationToken, Task> handle, TextWriter diagnostics, CancellationToken cancellationToken)
    {
        try
        {
            long start = _since ?? _cursor?.Read() ?? await _follower.ReadHeadAsync(cancellationToken);
            _cursor?.Write(start);
            string where = _cursor is null ? "no cursor saved" : $"cursor {_cursor.Path}";
            await diagnostics.WriteLineAsync($"meshfleet: following {_agentId} after seq {start} ({where}).");
            await foreach (FollowedMessage message in _follower.FollowAsync(start, cancellationToken))
            {
                await handle(message, cancellationToken);
                _cursor?.Write(message.Message.Seq);
            }
        }
        finally
        {
            _cursor?.Dispose();
        }
    }
}
