using Meshfleet.Core.Routing;

namespace Meshfleet.Core.Tests.Routing;

/// <summary>
/// A deterministic stand-in for the model: each word (lower-cased, lightly stemmed) adds 1 to one of 4096 dimensions picked
/// by a stable hash, and the vector is normalised. Texts sharing words score high; texts sharing none score 0.
/// It counts what it embeds, so tests can tell a stored vector was reused.
/// </summary>
internal sealed class FakeEmbedder : IEmbedder
{
    private const int Dimensions = 4096;
    private int _calls;

    public FakeEmbedder(string model = "fake-bag-of-words")
    {
        Model = model;
    }

    public string Model { get; }

    public bool IsLoaded => true;

    /// <summary>How many texts were embedded.</summary>
    public int Calls => _calls;

    public List<string> Texts { get; } = [];

    public ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        Interlocked.Increment(ref _calls);
        lock (Texts)
        {
            Texts.Add(text);
        }

        var vector = new float[Dimensions];
        foreach (string word in LexicalIndex.Tokenize(text))
        {
            uint hash = 2166136261;
            foreach (char c in word)
            {
                hash = (hash ^ c) * 16777619;
            }

            vector[hash % Dimensions] += 1;
        }

        float norm = MathF.Sqrt(vector.Sum(v => v * v));
        return ValueTask.FromResult(norm == 0 ? vector : vector.Select(v => v / norm).ToArray());
    }
}
