namespace Meshfleet.Core.Routing;

/// <summary>
/// BM25 over a handful of documents (the candidate agents), built per call: tens of agents cost microseconds.
/// Scores are squashed to [0, 1) with s / (s + <see cref="Saturation"/>) so they mix with cosine on one scale.
/// </summary>
public sealed class LexicalIndex
{
    /// <summary>The raw BM25 score that maps to 0.5.</summary>
    public const double Saturation = 4.0;

    private const double K1 = 1.2;
    private const double B = 0.75;

    private static readonly HashSet<string> StopWords = new(
        ["a", "an", "and", "are", "as", "at", "be", "by", "can", "do", "for", "from", "has", "have", "i", "in", "is", "it", "its", "me",
         "my", "of", "on", "or", "our", "please", "so", "that", "the", "their", "this", "to", "us", "we", "what", "who", "will", "with", "you", "your"],
        StringComparer.Ordinal);

    private readonly List<Dictionary<string, int>> _documents;
    private readonly Dictionary<string, int> _documentFrequency = new(StringComparer.Ordinal);
    private readonly double _averageLength;

    public LexicalIndex(IEnumerable<string> documents)
    {
        _documents = documents.Select(d => Tokenize(d).GroupBy(t => t, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.Count(), StringComparer.Ordinal)).ToList();
        foreach (string term in _documents.SelectMany(d => d.Keys))
        {
            _documentFrequency[term] = _documentFrequency.GetValueOrDefault(term) + 1;
        }

        _averageLength = _documents.Count == 0 ? 1 : Math.Max(1, _documents.Average(d => d.Values.Sum()));
    }

    /// <summary>The raw BM25 score of each document for the query, in document order.</summary>
    public double[] Score(string query)
    {
        string[] terms = Tokenize(query).Distinct(StringComparer.Ordinal).ToArray();
        var scores = new double[_documents.Count];
        for (int i = 0; i < _documents.Count; i++)
        {
            Dictionary<string, int> document = _documents[i];
            double length = document.Values.Sum();
            foreach (string term in terms)
            {
                if (!document.TryGetValue(term, out int frequency))
                {
                    continue;
                }

                int n = _documentFrequency[term];
                double idf = Math.Log(1 + ((_documents.Count - n + 0.5) / (n + 0.5)));
                scores[i] += idf * frequency * (K1 + 1) / (frequency + (K1 * (1 - B + (B * length / _averageLength))));
            }
        }

        return scores;
    }

    /// <summary>A raw score squashed to [0, 1).</summary>
    public static double Squash(double score) => score / (score + Saturation);

    /// <summary>Lower-case words of letters and digits, without stop words, with a light plural/verb-ending strip.</summary>
    public static IEnumerable<string> Tokenize(string text)
    {
        int start = -1;
        for (int i = 0; i <= text.Length; i++)
        {
            bool inWord = i < text.Length && char.IsLetterOrDigit(text[i]);
            if (inWord && start < 0)
            {
                start = i;
            }
            else if (!inWord && start >= 0)
            {
                string word = text[start..i].ToLowerInvariant();
                start = -1;
                if (!StopWords.Contains(word))
                {
                    yield return Stem(word);
                }
            }
        }
    }

    private static string Stem(string word)
    {
        foreach (string suffix in (ReadOnlySpan<string>)["ing", "ers", "er", "es", "ed", "s"])
        {
            if (word.Length > suffix.Length + 3 && word.EndsWith(suffix, StringComparison.Ordinal))
            {
                return word[..^suffix.Length];
            }
        }

        return word;
    }
}
