using System.Runtime.CompilerServices;
using System.Text;
using NATS.Client.Core;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// Tells every process of the mesh that a message is being redelivered, so the one holding the recipient's stream pushes
/// it: only one process runs the redelivery schedule, but any may hold the stream. Plain NATS publish (at most once,
/// outside the stream): a lost notice costs one attempt, and the schedule's next attempt follows anyway.
/// </summary>
public sealed class NatsRedeliveries
{
    private const string NodeHeader = "Meshfleet-Node";
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private readonly NatsMesh _mesh;
    private readonly string _subject;
    private readonly string _node = Guid.NewGuid().ToString("N");

    public NatsRedeliveries(NatsMesh mesh)
    {
        _mesh = mesh;
        _subject = $"meshfleet.{mesh.Options.Mesh}.redeliver";
    }

    /// <summary>Announces a redelivery of <paramref name="messageId"/> to the other processes.</summary>
    public async ValueTask AnnounceAsync(string messageId, CancellationToken cancellationToken) =>
        await _mesh.Connection.PublishAsync(
            _subject,
            Encoding.UTF8.GetBytes(messageId),
            headers: new NatsHeaders { [NodeHeader] = _node },
            serializer: Raw,
            cancellationToken: cancellationToken).ConfigureAwait(false);

    /// <summary>The ids of messages other processes redeliver, as they announce them.</summary>
    public async IAsyncEnumerable<string> ReadAnnouncedAsync([EnumeratorCancellation] CancellationToken cancellationToken)
    {
        await foreach (NatsMsg<byte[]> msg in _mesh.Connection.SubscribeAsync(_subject, serializer: Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (msg.Data is { Length: > 0 } data && !(msg.Headers?.TryGetValue(NodeHeader, out var node) == true && node == _node))
            {
                yield return Encoding.UTF8.GetString(data);
            }
        }
    }
}
