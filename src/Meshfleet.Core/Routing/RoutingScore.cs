namespace Meshfleet.Core.Routing;

/// <summary>The final routing score, in [0, 1]: comparable across calls, agents and fleets.</summary>
public static class RoutingScore
{
    /// <summary>
    /// <c>(1 - w) × cosine + w × bm25 / (bm25 + 4)</c>: the cosine of unit vectors (negative counts as 0) mixed with the
    /// BM25 score squashed to [0, 1), so a task naming the agent's own words gets a lift the model alone may miss.
    /// </summary>
    public static double Combine(double cosine, double bm25, double lexicalWeight) =>
        ((1 - lexicalWeight) * Math.Clamp(cosine, 0, 1)) + (lexicalWeight * LexicalIndex.Squash(bm25));

    /// <summary>The dot product of two unit vectors; vectors of different sizes (another model's) do not compare.</summary>
    public static double Cosine(float[] a, float[] b)
    {
        if (a.Length != b.Length)
        {
            return 0;
        }

        double dot = 0;
        for (int i = 0; i < a.Length; i++)
        {
            dot += a[i] * b[i];
        }

        return dot;
    }
}
