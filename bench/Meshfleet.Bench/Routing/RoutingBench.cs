using System.Diagnostics;
using System.Globalization;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Streaming;
using Meshfleet.Embeddings;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Bench.Routing;

/// <summary>
/// <c>bench -- --routing [model path]</c>: top-1 / top-3 of the raw model, BM25 and the hybrid ranking on the evaluation
/// set, where the threshold falls, and the cost of <c>find_agents</c> (cold first call, warm p50, RSS).
/// </summary>
internal static class RoutingBench
{
    private static readonly double[] Weights = [0, 0.05, 0.1, 0.2, 0.3, 0.5];

    public static async Task<int> RunAsync(string? modelPath, TextWriter output)
    {
        var options = new RoutingOptions();
        long rssStart = Rss();
        IEmbedder embedder = EmbedderFactory.Create(modelPath, null);
        string directory = Directory.CreateTempSubdirectory("meshfleet-routing-bench-").FullName;
        try
        {
            await MeasureRouterAsync(embedder, options, directory, rssStart, output);
            await EvaluateAsync(embedder, options, output);
        }
        finally
        {
            (embedder as IDisposable)?.Dispose();
            Directory.Delete(directory, recursive: true);
        }

        return 0;
    }

    private static async Task EvaluateAsync(IEmbedder embedder, RoutingOptions options, TextWriter output)
    {
        IReadOnlyList<EvalAgent> agents = RoutingEvalSet.Agents;
        string[] texts = agents.Select(a => AgentText.Of(View(a))).ToArray();
        float[][] described = await EmbedAllAsync(embedder, agents.Select(a => a.Description));
        float[][] full = await EmbedAllAsync(embedder, texts);
        var index = new LexicalIndex(texts);
        var tasks = agents.SelectMany((a, i) => a.Tasks.Select(t => (Text: t, Right: i, Unshared: !SharesWord(t, a.Description)))).ToList();
        float[][] taskVectors = await EmbedAllAsync(embedder, tasks.Select(t => t.Text));
        double[][] bm25 = tasks.Select(t => index.Score(t.Text)).ToArray();

        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"\nRouting evaluation: {agents.Count} agents, {tasks.Count} tasks ({tasks.Count(t => t.Unshared)} share no word with the right description), model {embedder.Model}"));
        output.WriteLine($"{"ranking",-44} {"top-1",8} {"top-3",8} {"top-1 no-word",14} {"top-3 no-word",14}");
        Report(output, "model, description only (raw)", tasks, t => described.Select(v => RoutingScore.Cosine(taskVectors[t], v)).ToArray());
        Report(output, "model, role+description+name+id", tasks, t => full.Select(v => RoutingScore.Cosine(taskVectors[t], v)).ToArray());
        Report(output, "BM25, role+description+name+id", tasks, t => bm25[t]);
        foreach (double w in Weights)
        {
            string label = string.Create(CultureInfo.InvariantCulture, $"hybrid w={w:0.00}{(w == options.LexicalWeight ? " (final)" : string.Empty)}");
            Report(output, label, tasks, t => full.Select((v, a) => RoutingScore.Combine(RoutingScore.Cosine(taskVectors[t], v), bm25[t][a], w)).ToArray());
        }

        // Threshold: the best score of on-topic tasks against that of tasks nobody should take.
        double[] onTopic = tasks.Select((_, t) => full.Select((v, a) => RoutingScore.Combine(RoutingScore.Cosine(taskVectors[t], v), bm25[t][a], options.LexicalWeight)).Max()).ToArray();
        float[][] offVectors = await EmbedAllAsync(embedder, RoutingEvalSet.OffTopic);
        double[] offTopic = RoutingEvalSet.OffTopic
            .Select((text, o) => full.Select((v, a) => RoutingScore.Combine(RoutingScore.Cosine(offVectors[o], v), index.Score(text)[a], options.LexicalWeight)).Max())
            .ToArray();
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"best score, on-topic: min {onTopic.Min():0.000} median {Median(onTopic):0.000}; off-topic: max {offTopic.Max():0.000} median {Median(offTopic):0.000}"));
        foreach (double threshold in new[] { 0.15, 0.2, 0.25, 0.3 })
        {
            output.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"threshold {threshold:0.00}{(threshold == options.Threshold ? " (final)" : "       ")}: on-topic judged good {onTopic.Count(s => s >= threshold)}/{onTopic.Length}, off-topic judged poor {offTopic.Count(s => s < threshold)}/{offTopic.Length}"));
        }
    }

    private static async Task MeasureRouterAsync(IEmbedder embedder, RoutingOptions options, string directory, long rssStart, TextWriter output)
    {
        await using SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = Path.Combine(directory, "mesh.db") }, TimeProvider.System);
        var registry = new AgentRegistry(new SqliteAgentDirectory(store), new StreamHub(new StreamHubOptions()), TimeProvider.System);
        foreach (EvalAgent agent in RoutingEvalSet.Agents)
        {
            await registry.RegisterAsync(agent.AgentId, null, agent.Role, agent.Description, "eval", CancellationToken.None);
        }

        var router = new AgentRouter(registry, new SqliteEmbeddingStore(store), embedder, new SqliteRouteLog(store), options, TimeProvider.System);
        long rssBefore = Rss();
        var watch = Stopwatch.StartNew();
        await router.FindAsync("Review the SQL migration in PR 12", "eval", 3, false, CancellationToken.None);
        double cold = watch.Elapsed.TotalMilliseconds;
        long rssAfter = Rss();
        var warm = new List<double>();
        foreach (string task in RoutingEvalSet.Agents.SelectMany(a => a.Tasks))
        {
            watch.Restart();
            await router.FindAsync(task, "eval", 3, false, CancellationToken.None);
            warm.Add(watch.Elapsed.TotalMilliseconds);
        }

        var embedOnly = new List<double>();
        foreach (string task in RoutingEvalSet.Agents.SelectMany(a => a.Tasks))
        {
            watch.Restart();
            await embedder.EmbedAsync(task, CancellationToken.None);
            embedOnly.Add(watch.Elapsed.TotalMilliseconds);
        }

        var fresh = new AgentRouter(registry, new SqliteEmbeddingStore(store), embedder, new SqliteRouteLog(store), options, TimeProvider.System);
        watch.Restart();
        await fresh.FindAsync("Translate the release notes into French", "eval", 3, false, CancellationToken.None);
        double reused = watch.Elapsed.TotalMilliseconds;
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"find_agents over {RoutingEvalSet.Agents.Count} agents: first call (model load + agent vectors) {cold:0} ms; warm p50 {Median(warm):0.00} ms, p99 {warm.Order().ElementAt((int)(warm.Count * 0.99)):0.00} ms; " +
            $"a second router reusing stored vectors {reused:0.00} ms; embedding a task alone p50 {Median(embedOnly):0.00} ms"));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"RSS: at start {rssStart / 1048576} MiB, before the model {rssBefore / 1048576} MiB, after {rssAfter / 1048576} MiB"));
    }

    private static void Report(TextWriter output, string label, List<(string Text, int Right, bool Unshared)> tasks, Func<int, double[]> scores)
    {
        int[] ranks = tasks.Select((task, t) => Rank(scores(t), task.Right)).ToArray();
        int[] unshared = ranks.Where((_, t) => tasks[t].Unshared).ToArray();
        output.WriteLine($"{label,-44} {Share(ranks, 1),8} {Share(ranks, 3),8} {Share(unshared, 1),14} {Share(unshared, 3),14}");
    }

    /// <summary>1-based rank of the right agent; ties count against it, so a ranker that scores everyone 0 gets no credit.</summary>
    private static int Rank(double[] scores, int right) => 1 + scores.Where((s, i) => i != right && s >= scores[right]).Count();

    private static string Share(int[] ranks, int k) => string.Create(CultureInfo.InvariantCulture, $"{100.0 * ranks.Count(r => r <= k) / ranks.Length:0.0}%");

    private static bool SharesWord(string task, string description) =>
        LexicalIndex.Tokenize(task).Intersect(LexicalIndex.Tokenize(description), StringComparer.Ordinal).Any();

    private static AgentView View(EvalAgent agent) => new(agent.AgentId, null, agent.Role, agent.Description, "eval", "online", null);

    private static async Task<float[][]> EmbedAllAsync(IEmbedder embedder, IEnumerable<string> texts)
    {
        var vectors = new List<float[]>();
        foreach (string text in texts)
        {
            vectors.Add(await embedder.EmbedAsync(text, CancellationToken.None));
        }

        return [.. vectors];
    }

    private static double Median(IReadOnlyCollection<double> values) => values.Order().ElementAt(values.Count / 2);

    private static long Rss()
    {
        using var process = Process.GetCurrentProcess();
        process.Refresh();
        return process.WorkingSet64;
    }
}
