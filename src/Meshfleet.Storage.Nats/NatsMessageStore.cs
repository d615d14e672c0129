using System.Globalization;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Json;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using NATS.Client.Core;
using NATS.Client.JetStream;
using NATS.Client.JetStream.Models;

namespace Meshfleet.Storage.Nats;

/// <summary>
/// The mesh's ledger on JetStream: one stream, one subject per inbox, the stream sequence as seq. The stream orders
/// every append of every process on every machine, so seqs are strictly increasing and a reader never sees a hole.
/// Traits that differ from SQLite (<see cref="Traits"/>): an idempotency key returns the first message for
/// <see cref="NatsStoreOptions.IdempotencyWindow"/> (7 days by default), not forever; <see cref="AppendManyAsync"/> appends
/// in order but is not all-or-nothing; a message and its ack schedule, or a dead letter and its notice, are two writes.
/// </summary>
public sealed class NatsMessageStore : IMessageLog, IAsyncDisposable
{
    private const int PageSize = 256;
    private static readonly NatsRawSerializer<byte[]> Raw = NatsRawSerializer<byte[]>.Default;
    private static readonly TimeSpan ClaimPatience = TimeSpan.FromSeconds(30);
    private readonly NatsMesh _mesh;
    private readonly TimeProvider _time;
    private readonly bool _ownsMesh;

    private NatsMessageStore(NatsMesh mesh, string storeId, TimeProvider time, bool ownsMesh)
    {
        _mesh = mesh;
        _time = time;
        _ownsMesh = ownsMesh;
        StoreId = storeId;
        Traits = new StorageTraits(
            Backend: "nats",
            IdempotencyWindow: mesh.Options.IdempotencyWindow,
            AtomicBatchAppend: false,
            AtomicAcrossRoles: false,
            NeedsExternalChangeSignal: false,
            Durable: true);
    }

    /// <inheritdoc />
    public string StoreId { get; }

    /// <inheritdoc />
    public StorageTraits Traits { get; }

    /// <summary>
    /// Opens the ledger of the connected mesh; its store id is the mesh's, the same in every process. With
    /// <paramref name="ownsMesh"/>, disposing the store closes the mesh's connection too.
    /// </summary>
    public static async Task<NatsMessageStore> OpenAsync(NatsMesh mesh, TimeProvider time, CancellationToken cancellationToken, bool ownsMesh = false)
    {
        var meta = new NatsMeta(mesh);
        string storeId = await meta.GetOrAddAsync("store_id", "nats-" + Guid.NewGuid().ToString("N"), cancellationToken).ConfigureAwait(false);
        return new NatsMessageStore(mesh, storeId, time, ownsMesh);
    }

    /// <inheritdoc />
    /// <remarks>
    /// With an idempotency key, the key is claimed in its bucket (create-only) before the message is published, so two
    /// processes sending with one key at once store one message; the loser waits for the winner's message and returns it.
    /// </remarks>
    public async ValueTask<AppendResult> AppendAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        if (draft.IdempotencyKey is not { } key)
        {
            return new AppendResult(await PublishAsync(draft, cancellationToken).ConfigureAwait(false), Duplicate: false);
        }

        string claimKey = NatsNames.Token(draft.FromAgentId) + "." + NatsNames.Hashed(key);
        NatsBucket claims = _mesh.Idempotency;
        long deadline = _time.GetTimestamp() + (long)(ClaimPatience.TotalSeconds * _time.TimestampFrequency);
        for (int round = 0; ; round++)
        {
            ulong created = await claims.TryCreateAsync(claimKey, new IdempotencyClaim(draft.MessageId, 0), NatsStoreJsonContext.Default.IdempotencyClaim, cancellationToken).ConfigureAwait(false);
            if (created != 0)
            {
                MeshMessage stored = await PublishAsync(draft, cancellationToken).ConfigureAwait(false);
                await claims.TryUpdateAsync(claimKey, new IdempotencyClaim(stored.MessageId, stored.Seq), created, NatsStoreJsonContext.Default.IdempotencyClaim, cancellationToken).ConfigureAwait(false);
                return new AppendResult(stored, Duplicate: false);
            }

            (IdempotencyClaim? claim, ulong revision) = await claims.GetAsync(claimKey, NatsStoreJsonContext.Default.IdempotencyClaim, cancellationToken).ConfigureAwait(false);
            if (claim is null)
            {
                continue;
            }

            MeshMessage? first = claim.Seq > 0
                ? await ReadSeqAsync((ulong)claim.Seq, cancellationToken).ConfigureAwait(false)
                : await GetMessageAsync(claim.MessageId, cancellationToken).ConfigureAwait(false);
            if (first is not null)
            {
                return new AppendResult(first, Duplicate: true);
            }

            if (_time.GetTimestamp() > deadline)
            {
                // The claimant died between claiming and publishing: take the claim over (compare-and-set, so only one
                // waiter does) and send this draft under the key instead.
                ulong taken = await claims.TryUpdateAsync(claimKey, new IdempotencyClaim(draft.MessageId, 0), revision, NatsStoreJsonContext.Default.IdempotencyClaim, cancellationToken).ConfigureAwait(false);
                if (taken != 0)
                {
                    MeshMessage stored = await PublishAsync(draft, cancellationToken).ConfigureAwait(false);
                    await claims.TryUpdateAsync(claimKey, new IdempotencyClaim(stored.MessageId, stored.Seq), taken, NatsStoreJsonContext.Default.IdempotencyClaim, cancellationToken).ConfigureAwait(false);
                    return new AppendResult(stored, Duplicate: false);
                }
            }

            // The claimant is between its claim and its publish (a few milliseconds): wait for it, a little longer each round.
            await Task.Delay(TimeSpan.FromMilliseconds(Math.Min(200, 5 << Math.Min(round, 6))), _time, cancellationToken).ConfigureAwait(false);
        }
    }

    /// <inheritdoc />
    /// <remarks>JetStream 2.9 has no atomic batch publish: messages are appended one after another, in order.</remarks>
    public async ValueTask<IReadOnlyList<AppendResult>> AppendManyAsync(IReadOnlyList<MessageDraft> drafts, CancellationToken cancellationToken)
    {
        var results = new List<AppendResult>(drafts.Count);
        foreach (MessageDraft draft in drafts)
        {
            results.Add(await AppendAsync(draft, cancellationToken).ConfigureAwait(false));
        }

        return results;
    }

    /// <summary>
    /// Publishes one message and waits for the stream's ack (the message is stored, on a quorum of replicas), then
    /// indexes its id. A message that needs an ack gets its delivery row first, so an ack racing the push finds it.
    /// </summary>
    internal async ValueTask<MeshMessage> PublishAsync(MessageDraft draft, CancellationToken cancellationToken)
    {
        if (draft.AckDueAt is { } due)
        {
            await NatsDeliveryLedger.TrackAckAsync(_mesh, draft, due, cancellationToken).ConfigureAwait(false);
        }

        var body = new StoredMessageBody(draft.MessageId, draft.FromAgentId, draft.ToAgentId, draft.Payload, draft.Timestamp, draft.ThreadId, draft.ReplyTo);
        long seq = await PublishBodyAsync(body, cancellationToken).ConfigureAwait(false);
        if (draft.AckDueAt is not null)
        {
            await NatsDeliveryLedger.SetTrackedSeqAsync(_mesh, draft.MessageId, seq, cancellationToken).ConfigureAwait(false);
        }

        return new MeshMessage(draft.MessageId, seq, draft.FromAgentId, draft.ToAgentId, draft.Payload, draft.Timestamp, draft.ThreadId, draft.ReplyTo);
    }

    private async ValueTask<long> PublishBodyAsync(StoredMessageBody body, CancellationToken cancellationToken)
    {
        byte[] data = JsonSerializer.SerializeToUtf8Bytes(body, NatsStoreJsonContext.Default.StoredMessageBody);

        // Nats-Msg-Id: a publish the client retries after a lost ack is stored once (within the stream's duplicate window).
        // Through a leader election it is published again with the same id, so it is stored once.
        string subject = _mesh.Names.Inbox(body.ToAgentId);
        PubAckResponse ack = await NatsMesh.RetryThroughFailoverAsync(
            ct => _mesh.JetStream.PublishAsync(subject, data, Raw, new NatsJSPubOpts { MsgId = body.MessageId }, cancellationToken: ct),
            _time,
            cancellationToken).ConfigureAwait(false);
        ack.EnsureSuccess();
        long seq = checked((long)ack.Seq);
        byte[] index = Encoding.ASCII.GetBytes(seq.ToString(CultureInfo.InvariantCulture));
        await NatsMesh.RetryThroughFailoverAsync(
            ct => _mesh.Ids.Store.PutAsync(NatsNames.MessageKey(body.MessageId), index, Raw, ct),
            _time,
            cancellationToken).ConfigureAwait(false);
        return seq;
    }

    /// <inheritdoc />
    public async ValueTask<MeshMessage?> GetMessageAsync(string messageId, CancellationToken cancellationToken)
    {
        NatsResult<NATS.Client.KeyValueStore.NatsKVEntry<byte[]>> entry = await _mesh.Ids.Store.TryGetEntryAsync(NatsNames.MessageKey(messageId), 0, Raw, cancellationToken).ConfigureAwait(false);
        if (!entry.Success || entry.Value.Value is not { Length: > 0 } bytes
            || !ulong.TryParse(Encoding.ASCII.GetString(bytes), NumberStyles.None, CultureInfo.InvariantCulture, out ulong seq))
        {
            return null;
        }

        return await ReadSeqAsync(seq, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    /// <remarks>
    /// One "next message on this subject after a sequence" lookup per message, served from the stream's per-subject
    /// index on the leader: no consumer is created, and the cost does not grow with the number of other inboxes.
    /// </remarks>
    public async ValueTask<IReadOnlyList<MeshMessage>> ReadInboxAsync(string agentId, long afterSeq, int limit, CancellationToken cancellationToken) =>
        await ReadNextAsync(_mesh.Names.Inbox(agentId), afterSeq, limit, cancellationToken).ConfigureAwait(false);

    /// <inheritdoc />
    public async ValueTask<IReadOnlyList<MeshMessage>> ReadAfterAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        await ReadNextAsync(_mesh.Names.AllInboxes, afterSeq, limit, cancellationToken).ConfigureAwait(false);

    private async ValueTask<List<MeshMessage>> ReadNextAsync(string subject, long afterSeq, int limit, CancellationToken cancellationToken)
    {
        var messages = new List<MeshMessage>(Math.Min(limit, PageSize));
        ulong cursor = (ulong)Math.Max(0, afterSeq);
        while (messages.Count < limit)
        {
            StoredMessage? stored = await GetStoredAsync(new StreamMsgGetRequest { Seq = cursor + 1, NextBySubj = subject }, cancellationToken).ConfigureAwait(false);
            if (stored is null)
            {
                break;
            }

            messages.Add(ToMessage(stored.Seq, stored.Data.Span));
            cursor = stored.Seq;
        }

        return messages;
    }

    private async ValueTask<MeshMessage?> ReadSeqAsync(ulong seq, CancellationToken cancellationToken)
    {
        StoredMessage? stored = await GetStoredAsync(new StreamMsgGetRequest { Seq = seq }, cancellationToken).ConfigureAwait(false);
        return stored is null ? null : ToMessage(stored.Seq, stored.Data.Span);
    }

    private async ValueTask<StoredMessage?> GetStoredAsync(StreamMsgGetRequest request, CancellationToken cancellationToken)
    {
        return await NatsMesh.RetryThroughFailoverAsync<StoredMessage?>(
            async ct =>
            {
                try
                {
                    StreamMsgGetResponse response = await _mesh.Stream.GetAsync(request, ct).ConfigureAwait(false);
                    return response.Message;
                }
                catch (NatsJSApiException ex) when (ex.Error.Code == 404)
                {
                    return null;
                }
            },
            _time,
            cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc />
    public async ValueTask<long> ReadHeadSeqAsync(CancellationToken cancellationToken)
    {
        INatsJSStream stream = await NatsMesh.RetryThroughFailoverAsync(
            ct => _mesh.JetStream.GetStreamAsync(_mesh.Names.Stream, cancellationToken: ct),
            _time,
            cancellationToken).ConfigureAwait(false);
        return checked((long)stream.Info.State.LastSeq);
    }

    /// <inheritdoc />
    /// <remarks>
    /// An ordered consumer on the whole stream (no subject filter, so no per-subject scan): the server pushes every
    /// append of every process as it is stored, and the client recreates the consumer at its cursor after any gap,
    /// reconnect or leader change. It needs no acks, so JetStream's AckWait and redelivery never come into play.
    /// </remarks>
    public async IAsyncEnumerable<MeshMessage> TailAsync(long afterSeq, [EnumeratorCancellation] CancellationToken cancellationToken)
    {
        INatsJSConsumer consumer = await _mesh.JetStream.CreateOrderedConsumerAsync(
            _mesh.Names.Stream,
            new NatsJSOrderedConsumerOpts { DeliverPolicy = ConsumerConfigDeliverPolicy.ByStartSequence, OptStartSeq = (ulong)afterSeq + 1 },
            cancellationToken).ConfigureAwait(false);
        await foreach (NatsJSMsg<byte[]> msg in consumer.ConsumeAsync(Raw, cancellationToken: cancellationToken).ConfigureAwait(false))
        {
            if (msg.Metadata is not { } metadata || msg.Data is not { } data)
            {
                continue;
            }

            yield return ToMessage(metadata.Sequence.Stream, data);
        }
    }

    /// <inheritdoc />
    public async ValueTask<int> ImportAsync(IReadOnlyList<MeshMessage> batch, CancellationToken cancellationToken)
    {
        int added = 0;
        foreach (MeshMessage message in batch)
        {
            NatsResult<NATS.Client.KeyValueStore.NatsKVEntry<byte[]>> known = await _mesh.Ids.Store.TryGetEntryAsync(NatsNames.MessageKey(message.MessageId), 0, Raw, cancellationToken).ConfigureAwait(false);
            if (known.Success)
            {
                continue;
            }

            var body = new StoredMessageBody(message.MessageId, message.FromAgentId, message.ToAgentId, message.Payload, message.Timestamp, message.ThreadId, message.ReplyTo);
            await PublishBodyAsync(body, cancellationToken).ConfigureAwait(false);
            added++;
        }

        return added;
    }

    public ValueTask DisposeAsync() => _ownsMesh ? _mesh.DisposeAsync() : ValueTask.CompletedTask;

    private static MeshMessage ToMessage(ulong seq, ReadOnlySpan<byte> data)
    {
        StoredMessageBody body = JsonSerializer.Deserialize(data, NatsStoreJsonContext.Default.StoredMessageBody)
            ?? throw new StoreFailureException($"Message at seq {seq} of the mesh's stream is empty; the stream holds something Meshfleet did not write.");
        return new MeshMessage(body.MessageId, checked((long)seq), body.FromAgentId, body.ToAgentId, body.Payload, body.Timestamp, body.ThreadId, body.ReplyTo);
    }
}
