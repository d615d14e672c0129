using FastBertTokenizer;
using Meshfleet.Core.Routing;
using Microsoft.ML.OnnxRuntime;

namespace Meshfleet.Embeddings.Onnx;

/// <summary>
/// A sentence-transformers model on ONNX Runtime: WordPiece tokens in, the token vectors mean-pooled over the attention
/// mask and L2-normalised out. Loads on the first embedding (1–2 s, ~300 MB), never before; one session serves every thread.
/// </summary>
public sealed class OnnxSentenceEmbedder : IEmbedder, IDisposable
{
    /// <summary>Tokens read per text: the length all-MiniLM-L6-v2 was trained on; longer texts are cut.</summary>
    public const int MaxTokens = 256;

    private readonly OnnxModelFiles _files;
    private readonly Lazy<Task<Loaded>> _loaded;

    public OnnxSentenceEmbedder(OnnxModelFiles files)
    {
        _files = files;
        _loaded = new Lazy<Task<Loaded>>(() => Task.Run(Load), LazyThreadSafetyMode.ExecutionAndPublication);
    }

    public string Model => _files.Model;

    public bool IsLoaded => _loaded.IsValueCreated && _loaded.Value.IsCompletedSuccessfully;

    public async ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken)
    {
        Loaded loaded = await _loaded.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
        return loaded.Embed(text);
    }

    public void Dispose()
    {
        if (IsLoaded)
        {
            _loaded.Value.Result.Session.Dispose();
        }
    }

    private Loaded Load()
    {
        try
        {
            return LoadSession();
        }
        catch (Exception ex) when (ex is DllNotFoundException or EntryPointNotFoundException or OnnxRuntimeException or IOException or InvalidOperationException)
        {
            // Cached by the Lazy: a broken model or a missing library fails every call the same way until a restart.
            throw new RoutingUnavailableException(
                $"Routing could not load the embedding model {_files.Model}: {ex.Message} " +
                (ex is DllNotFoundException or EntryPointNotFoundException
                    ? "The meshfleet executable carries ONNX Runtime's library and extracts it to ~/.cache/meshfleet/<version>/ (or $XDG_CACHE_HOME); other builds load it from their runtimes/ folder."
                    : "Check MESHFLEET_EMBEDDING_MODEL (an ONNX sentence model with vocab.txt beside it), or unset it for the built-in model."),
                ex);
        }
    }

    private Loaded LoadSession()
    {
        // Telemetry first: the variable must be in the environment before the library is even loaded.
        OrtTelemetry.Disable();
        OnnxRuntimeLibrary.Prepare();
        var tokenizer = new BertTokenizer();
        using (TextReader vocabulary = _files.OpenVocabulary())
        {
            tokenizer.LoadVocabulary(vocabulary, convertInputToLowercase: true);
        }

        using var options = new SessionOptions { InterOpNumThreads = 1, IntraOpNumThreads = 1, LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR };
        return new Loaded(new InferenceSession(_files.ReadModel(), options), tokenizer);
    }

    private sealed record Loaded(InferenceSession Session, BertTokenizer Tokenizer)
    {
        private readonly string[] _inputs = Session.InputMetadata.Keys.ToArray();
        private readonly string[] _outputs = [Session.OutputMetadata.Keys.First()];

        public float[] Embed(string text)
        {
            var ids = new long[MaxTokens];
            var mask = new long[MaxTokens];
            var types = new long[MaxTokens];
            int length = Tokenizer.Encode(text, ids, mask, types);
            long[] shape = [1, length];
            var values = new List<OrtValue>(_inputs.Length);
            try
            {
                foreach (string input in _inputs)
                {
                    long[] data = input switch
                    {
                        "input_ids" => ids,
                        "attention_mask" => mask,
                        "token_type_ids" => types,
                        _ => throw new InvalidOperationException($"The embedding model takes an input '{input}' that Meshfleet does not know; use a BERT-style sentence model."),
                    };
                    values.Add(OrtValue.CreateTensorValueFromMemory(OrtMemoryInfo.DefaultInstance, data.AsMemory(0, length), shape));
                }

                using var run = new RunOptions();
                using IDisposableReadOnlyCollection<OrtValue> output = Session.Run(run, _inputs, values, _outputs);
                return Pool(output[0], length);
            }
            finally
            {
                foreach (OrtValue value in values)
                {
                    value.Dispose();
                }
            }
        }

        /// <summary>Mean of the token vectors (every token is real: no padding was added), then L2 normalisation.</summary>
        private static float[] Pool(OrtValue output, int length)
        {
            ReadOnlySpan<float> data = output.GetTensorDataAsSpan<float>();
            long[] shape = output.GetTensorTypeAndShape().Shape;
            int dimensions = (int)shape[^1];
            var vector = new float[dimensions];
            int tokens = shape.Length == 3 ? length : 1;
            for (int t = 0; t < tokens; t++)
            {
                ReadOnlySpan<float> token = data.Slice(t * dimensions, dimensions);
                for (int d = 0; d < dimensions; d++)
                {
                    vector[d] += token[d];
                }
            }

            double norm = 0;
            foreach (float v in vector)
            {
                norm += v * v;
            }

            float scale = norm > 0 ? (float)(1 / Math.Sqrt(norm)) : 0;
            for (int d = 0; d < dimensions; d++)
            {
                vector[d] *= scale;
            }

            return vector;
        }
    }
}
