using System.Text;
using Meshfleet.Configuration;

namespace Meshfleet.Cli;

/// <summary>
/// <c>meshfleet watch --agent ID</c>: one stdout line per new message, for a person in a terminal (default), a script
/// (<c>--json</c>: the message as the mesh sends it) or a model (<c>--prompt</c>: says how to answer; what a Claude Code
/// monitor should run). Diagnostics go to stderr, so stdout carries messages only.
/// </summary>
internal static class WatchCommand
{
    public const string Usage = "meshfleet watch --agent ID [--json | --prompt] " + CursoredFollow.Options;

    public static async Task<int> RunAsync(MeshfleetSettings settings, IReadOnlyList<string> arguments, CancellationToken cancellationToken)
    {
        var args = new CommandArgs(arguments, Usage);
        bool json = args.Switch("--json");
        bool prompt = args.Switch("--prompt");
        if (json && prompt)
        {
            throw args.Missing("--json and --prompt are two formats; pick one");
        }

        using var http = new HttpClient { Timeout = Timeout.InfiniteTimeSpan };
        CursoredFollow follow = CursoredFollow.Create(settings, args, "watch", http, Console.Error);
        args.EnsureEmpty();

        await using var output = new StreamWriter(Console.OpenStandardOutput(), new UTF8Encoding(false)) { AutoFlush = true, NewLine = "\n" };
        await follow.RunAsync(
            (followed, _) => output.WriteLineAsync((json ? followed.Json : prompt ? MessageText.Prompt(followed.Message, oneLine: true) : MessageText.Line(followed.Message)).AsMemory(), CancellationToken.None),
            Console.Error,
            cancellationToken);
        return 0;
    }
}
