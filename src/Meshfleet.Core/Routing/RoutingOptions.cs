namespace Meshfleet.Core.Routing;

/// <summary>How routing mixes the model's cosine with the lexical score, and where a match stops counting as good.</summary>
public sealed record RoutingOptions
{
    /// <summary>
    /// Share of the lexical (BM25) score in the final score; the rest is the cosine. Both are in [0, 1], so the score is too.
    /// 0 by default: on the evaluation set every weight above 0.05 lowered top-1 (see BENCHMARKS.md, routing).
    /// </summary>
    public double LexicalWeight { get; init; }

    /// <summary>
    /// Below this score the best agent is reported as a poor fit (<c>good_match: false</c>), and a routed hand-off is refused.
    /// On the evaluation set 0.2 keeps every off-topic task out and 46 of 56 on-topic tasks in.
    /// </summary>
    public double Threshold { get; init; } = 0.2;

    /// <summary>Results returned when the caller gives no limit.</summary>
    public int DefaultLimit { get; init; } = 5;
}
