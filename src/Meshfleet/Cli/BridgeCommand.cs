using Meshfleet.Configuration;

namespace Meshfleet.Cli;

/// <summary>
/// <c>meshfleet bridge opencode|codex --agent ID</c>: follows the agent's inbox like <c>watch</c> and delivers each
/// message into a running OpenCode or Codex session as a new user turn that says who wrote, and how to answer.
/// </summary>
internal static class BridgeCommand
{
    public const string OpenCodeUsage = "meshfleet bridge opencode --agent ID [--url http://127.0.0.1:4096] [--session ID] " + CursoredFollow.Options;
    public const string CodexUsage = "meshfleet bridge codex --agent ID [--thread ID] [--app-server \"codex app-server proxy\"] " + CursoredFollow.Options;

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CommandArgs(arguments, $"{OpenCodeUsage}\n   or: {CodexUsage}");
        string? client = args.Word();
        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        switch (client)
        {
            case "opencode":
                {
                    string url = args.Value("--url") ?? "http://127.0.0.1:4096";
                    string? session = args.Value("--session");
                    if (!Uri.TryCreate(url.EndsWith('/') ? url : url + "/", UriKind.Absolute, out Uri? baseUrl) || baseUrl.Scheme is not ("http" or "https"))
                    {
                        throw args.Missing($"--url is '{url}'; give OpenCode's server address, such as http://127.0.0.1:4096");
                    }

                    CursoredFollow follow = CursoredFollow.Create(settings, args, "opencode", http, Console.Error);
                    args.EnsureEmpty();
                    using var deliveryHttp = new HttpClient { Timeout = TimeSpan.FromSeconds(30) };
                    var bridge = new OpenCodeBridge(deliveryHttp, baseUrl, session, Environment.GetEnvironmentVariable("OPENCODE_SERVER_USERNAME"),
                        Environment.GetEnvironmentVariable("OPENCODE_SERVER_PASSWORD"), Console.Error, TimeProvider.System);
                    await follow.RunAsync((m, ct) => bridge.DeliverAsync(MessageText.Prompt(m.Message, oneLine: false), m.Message.MessageId, ct), Console.Error, cancellationToken);
                    return 0;
                }

            case "codex":
                {
                    string? thread = args.Value("--thread");
                    string command = args.Value("--app-server") ?? "codex app-server proxy";
                    string[] words = command.Split(' ', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
                    if (words.Length == 0)
                    {
                        throw args.Missing("--app-server is empty; give the command that speaks the app-server protocol on stdio");
                    }

                    CursoredFollow follow = CursoredFollow.Create(settings, args, "codex", http, Console.Error);
                    args.EnsureEmpty();
                    await using var bridge = new CodexBridge(words, thread, Console.Error, TimeProvider.System);
                    await follow.RunAsync((m, ct) => bridge.DeliverAsync(MessageText.Prompt(m.Message, oneLine: false), ct), Console.Error, cancellationToken);
                    return 0;
                }

            default:
                throw args.Missing(client is null ? "which client? opencode or codex" : $"no bridge for '{client}'; there are opencode and codex");
        }
    }
}
