namespace Meshfleet.Core.Routing;

/// <summary>Turns text into a unit-length vector, so the dot product of two vectors is their cosine similarity.</summary>
public interface IEmbedder
{
    /// <summary>
    /// Names the model and its version. Stored beside every vector, so a vector is reused only by the model that made it.
    /// Known without loading the model.
    /// </summary>
    string Model { get; }

    /// <summary>True once the model is in memory, so embedding costs milliseconds rather than a load.</summary>
    bool IsLoaded { get; }

    /// <summary>Embeds one text. The first call may load the model (seconds); later calls take milliseconds. Thread-safe.</summary>
    ValueTask<float[]> EmbedAsync(string text, CancellationToken cancellationToken);
}
