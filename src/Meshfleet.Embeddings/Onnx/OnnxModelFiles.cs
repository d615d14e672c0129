namespace Meshfleet.Embeddings.Onnx;

/// <summary>Where a sentence model comes from: the built-in all-MiniLM-L6-v2 or an ONNX file with a vocab.txt beside it.</summary>
public sealed record OnnxModelFiles
{
    /// <summary>The name stored beside the built-in model's vectors.</summary>
    public const string BuiltInModel = "all-MiniLM-L6-v2";

    private OnnxModelFiles(string model, string? modelPath, string? vocabPath)
    {
        Model = model;
        ModelPath = modelPath;
        VocabPath = vocabPath;
    }

    /// <summary>The model's name and version, as stored beside its vectors.</summary>
    public string Model { get; }

    /// <summary>The .onnx file, or null for the built-in model.</summary>
    public string? ModelPath { get; }

    /// <summary>The WordPiece vocabulary, or null for the built-in model.</summary>
    public string? VocabPath { get; }

    /// <summary>The all-MiniLM-L6-v2 weights (Apache-2.0) embedded in this assembly.</summary>
    public static OnnxModelFiles BuiltIn { get; } = new(BuiltInModel, null, null);

    /// <summary>
    /// A model file, or a folder holding <c>model.onnx</c>; its <c>vocab.txt</c> sits beside it. The stored name carries the
    /// file's size and time, so replacing the file re-embeds the agents.
    /// </summary>
    public static OnnxModelFiles FromPath(string path)
    {
        string model = Directory.Exists(path) ? Path.Combine(path, "model.onnx") : path;
        string vocab = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(model))!, "vocab.txt");
        if (!File.Exists(model) || !File.Exists(vocab))
        {
            throw new FileNotFoundException(
                $"MESHFLEET_EMBEDDING_MODEL is '{path}', but {(File.Exists(model) ? vocab : model)} does not exist. Point it at an ONNX sentence " +
                "model (a .onnx file, or a folder with model.onnx) with its WordPiece vocab.txt in the same folder.");
        }

        var info = new FileInfo(model);
        return new OnnxModelFiles($"onnx:{Path.GetFileName(Path.GetDirectoryName(info.FullName))}/{info.Name}:{info.Length}:{info.LastWriteTimeUtc.Ticks}", info.FullName, vocab);
    }

    internal byte[] ReadModel() => ModelPath is null ? ReadResource($"{BuiltInModel}.onnx") : File.ReadAllBytes(ModelPath);

    internal TextReader OpenVocabulary() => VocabPath is null ? new StreamReader(OpenResource($"{BuiltInModel}.vocab.txt")) : File.OpenText(VocabPath);

    private static byte[] ReadResource(string name)
    {
        using Stream stream = OpenResource(name);
        var bytes = new byte[stream.Length];
        stream.ReadExactly(bytes);
        return bytes;
    }

    private static Stream OpenResource(string name) =>
        typeof(OnnxModelFiles).Assembly.GetManifestResourceStream(name)
        ?? throw new InvalidOperationException($"The resource {name} is missing from {typeof(OnnxModelFiles).Assembly.GetName().Name}; the build did not embed the model.");
}
