using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Core.Routing;

/// <summary>
/// Ranks agents for a task: the cosine between the task's vector and each agent's stored vector, mixed with a BM25 score
/// over the same agent text. Agent vectors are made once per text change and kept in the store; a call embeds only the task.
/// </summary>
public sealed class AgentRouter
{
    /// <summary>Longest task accepted, in characters (the model reads about 256 tokens; the rest only costs time).</summary>
    public const int MaxTaskLength = 8000;

    private const int MaxLimit = 100;
    private readonly AgentRegistry _registry;
    private readonly IEmbeddingStore _store;
    private readonly IEmbedder _embedder;
    private readonly IRouteLog _log;
    private readonly RoutingOptions _options;
    private readonly TimeProvider _time;

    public AgentRouter(AgentRegistry registry, IEmbeddingStore store, IEmbedder embedder, IRouteLog log, RoutingOptions options, TimeProvider time)
    {
        _registry = registry;
        _store = store;
        _embedder = embedder;
        _log = log;
        _options = options;
        _time = time;
    }

    /// <summary>The model that ranks (and that the stored vectors belong to).</summary>
    public string Model => _embedder.Model;

    /// <summary>True when the model is loaded in this process, so refreshing vectors costs milliseconds.</summary>
    public bool IsModelLoaded => _embedder.IsLoaded;

    /// <summary>Agents ranked for the task, best first; <see cref="RoutingResult.GoodMatch"/> tells whether the best fits well.</summary>
    public async ValueTask<RoutingResult> FindAsync(string? task, string? fleetId, long? limit, bool onlineOnly, CancellationToken cancellationToken)
    {
        string text = Task(task);
        string? fleet = fleetId is null ? null : InputRules.AgentId(fleetId, "fleet_id");
        int take = limit is null ? _options.DefaultLimit : limit < 1 || limit > MaxLimit
            ? throw new MeshInputException($"'limit' is {limit}; it must be between 1 and {MaxLimit}.")
            : (int)limit.Value;

        IReadOnlyList<RankedAgent> ranked = await RankAsync(text, fleet, onlineOnly, null, cancellationToken).ConfigureAwait(false);
        double best = ranked.Count > 0 ? ranked[0].Score : 0;
        bool good = best >= _options.Threshold;
        string? note = ranked.Count == 0
            ? (onlineOnly ? "No online agent" : "No agent") + (fleet is null ? " is registered." : $" is in fleet '{fleet}'.")
            : good ? null : $"No agent fits this task well: the best score is {best:0.00}, under the threshold {_options.Threshold:0.00}. Treat these as guesses.";
        return new RoutingResult(ranked.Take(take).ToList(), Model, good, _options.Threshold, note);
    }

    /// <summary>
    /// The best online agent of the fleet for the task, other than <paramref name="except"/> (the sender). Refuses when none
    /// is online or the best scores under the threshold, naming what to do instead.
    /// </summary>
    public async ValueTask<RankedAgent> ChooseAsync(string? task, string? fleetId, string? except, CancellationToken cancellationToken)
    {
        string text = Task(task, "payload");
        string? fleet = fleetId is null ? null : InputRules.AgentId(fleetId, "fleet_id");
        IReadOnlyList<RankedAgent> ranked = await RankAsync(text, fleet, onlineOnly: true, except, cancellationToken).ConfigureAwait(false);
        string where = fleet is null ? "the mesh" : $"fleet '{fleet}'";
        if (ranked.Count == 0)
        {
            throw new MeshInputException($"No online agent in {where} to route to. list_agents shows who is registered; send to one by to_agent_id.");
        }

        RankedAgent best = ranked[0];
        return best.Score >= _options.Threshold
            ? best
            : throw new MeshInputException(
                $"No online agent in {where} fits this task well (best: '{best.AgentId}' at {best.Score:0.00}, threshold {_options.Threshold:0.00}), " +
                "so nothing was sent. Pick a recipient yourself with to_agent_id (find_agents lists candidates).");
    }

    /// <summary>Records that a message was routed to the chosen agent (see <see cref="IRouteLog"/>).</summary>
    public ValueTask RecordHandOffAsync(string messageId, string fromAgentId, string? fleetId, RankedAgent chosen, CancellationToken cancellationToken) =>
        _log.RecordAsync(new RouteRecord(messageId, fromAgentId, fleetId, chosen.AgentId, chosen.Score, Model, _time.GetUtcNow().ToUnixTimeMilliseconds()), cancellationToken);

    /// <summary>Embeds every agent whose text has no vector for this model yet (or changed), and stores the vectors.</summary>
    public async ValueTask RefreshAsync(CancellationToken cancellationToken)
    {
        IReadOnlyList<AgentView> agents = await _registry.ListAgentsAsync(null, cancellationToken).ConfigureAwait(false);
        await VectorsAsync(agents, cancellationToken).ConfigureAwait(false);
    }

    private async ValueTask<IReadOnlyList<RankedAgent>> RankAsync(string task, string? fleet, bool onlineOnly, string? except, CancellationToken cancellationToken)
    {
        IReadOnlyList<AgentView> agents = (await _registry.ListAgentsAsync(fleet, cancellationToken).ConfigureAwait(false))
            .Where(a => a.AgentId != AgentRegistry.SystemAgentId && a.AgentId != except && (!onlineOnly || a.Status == "online"))
            .ToList();
        if (agents.Count == 0)
        {
            return [];
        }

        float[][] vectors = await VectorsAsync(agents, cancellationToken).ConfigureAwait(false);
        float[] query = await _embedder.EmbedAsync(task, cancellationToken).ConfigureAwait(false);
        double[] lexical = new LexicalIndex(agents.Select(AgentText.Of)).Score(task);
        return agents
            .Select((a, i) => new RankedAgent(a.AgentId, a.Name, a.Role, a.Description, a.FleetId, a.Status, a.LastSeen, Math.Round(RoutingScore.Combine(RoutingScore.Cosine(query, vectors[i]), lexical[i], _options.LexicalWeight), 4)))
            .OrderByDescending(a => a.Score)
            .ThenBy(a => a.AgentId, StringComparer.Ordinal)
            .ToList();
    }

    private async ValueTask<float[][]> VectorsAsync(IReadOnlyList<AgentView> agents, CancellationToken cancellationToken)
    {
        IReadOnlyDictionary<string, StoredEmbedding> stored = await _store.GetEmbeddingsAsync(_embedder.Model, cancellationToken).ConfigureAwait(false);
        var vectors = new float[agents.Count][];
        for (int i = 0; i < agents.Count; i++)
        {
            string text = AgentText.Of(agents[i]);
            string hash = AgentText.Hash(text);
            if (stored.TryGetValue(agents[i].AgentId, out StoredEmbedding? embedding) && embedding.TextHash == hash)
            {
                vectors[i] = embedding.Vector;
                continue;
            }

            vectors[i] = await _embedder.EmbedAsync(text, cancellationToken).ConfigureAwait(false);
            await _store.SaveEmbeddingAsync(agents[i].AgentId, _embedder.Model, new StoredEmbedding(hash, vectors[i]), cancellationToken).ConfigureAwait(false);
        }

        return vectors;
    }

    private static string Task(string? task, string argument = "task") =>
        string.IsNullOrWhiteSpace(task)
            ? throw new MeshInputException($"'{argument}' is missing or empty: describe the work in a sentence, for example \"review the SQL migration in PR 12 for locking problems\".")
            : task.Length > MaxTaskLength
                ? throw new MeshInputException($"'{argument}' is {task.Length} characters; routing reads at most {MaxTaskLength}. Summarise the task.")
                : task;
}
