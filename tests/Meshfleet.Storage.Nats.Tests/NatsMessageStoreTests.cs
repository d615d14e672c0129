using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;
using Meshfleet.Storage.Compliance;
using Xunit;

namespace Meshfleet.Storage.Nats.Tests;

/// <summary>The message-store compliance suite against a real nats-server, plus what is particular to JetStream.</summary>
public sealed class NatsMessageStoreTests : MessageStoreCompliance, IClassFixture<NatsServerFixture>
{
    private readonly NatsServerFixture _fixture;
    private readonly NatsStoreOptions _options;

    public NatsMessageStoreTests(NatsServerFixture fixture)
    {
        _fixture = fixture;
        _options = fixture.NewMesh();
    }

    /// <summary>Each call connects anew, as another process (or a restart) would.</summary>
    protected override IMessageLog OpenStore() => OpenAsync().GetAwaiter().GetResult();

    private async Task<NatsMessageStore> OpenAsync()
    {
        NatsMesh mesh = await NatsMesh.OpenAsync(_options, CancellationToken.None);
        return await NatsMessageStore.OpenAsync(mesh, TimeProvider.System, CancellationToken.None, ownsMesh: true);
    }

    [Fact]
    public async Task Idempotency_key_holds_across_connections_whatever_the_message_id()
    {
        // Each send gets a fresh message id, so JetStream's Nats-Msg-Id window cannot be what de-duplicates: the key's
        // bucket is, and it outlives that window.
        IMessageLog one = Open();
        IMessageLog two = Open();
        AppendResult[] results = await Task.WhenAll(Enumerable.Range(0, 8)
            .Select(i => (i % 2 == 0 ? one : two).AppendAsync(Draft("a", "b", "once", key: "k-shared"), CancellationToken.None).AsTask()));

        Assert.Single(results, r => !r.Duplicate);
        Assert.All(results, r => Assert.Equal(results[0].Message, r.Message));
        Assert.Single(await one.ReadInboxAsync("b", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Agent_ids_with_dots_and_underscores_get_inboxes_of_their_own()
    {
        IMessageLog store = Open();
        MeshMessage dotted = (await store.AppendAsync(Draft("a", "x.y", "dotted"), CancellationToken.None)).Message;
        MeshMessage underscored = (await store.AppendAsync(Draft("a", "x_dy", "underscored"), CancellationToken.None)).Message;
        MeshMessage plain = (await store.AppendAsync(Draft("a", "x", "plain"), CancellationToken.None)).Message;

        Assert.Equal([dotted], await store.ReadInboxAsync("x.y", 0, 10, CancellationToken.None));
        Assert.Equal([underscored], await store.ReadInboxAsync("x_dy", 0, 10, CancellationToken.None));
        Assert.Equal([plain], await store.ReadInboxAsync("x", 0, 10, CancellationToken.None));
    }

    [Fact]
    public async Task Message_is_found_by_id_from_another_connection()
    {
        IMessageLog writer = Open();
        IMessageLog reader = Open();
        MeshMessage sent = (await writer.AppendAsync(Draft("a", "b", "find me") with { ThreadId = "t" }, CancellationToken.None)).Message;

        Assert.Equal(sent, await reader.GetMessageAsync(sent.MessageId, CancellationToken.None));
        Assert.Null(await reader.GetMessageAsync("msg_unknown", CancellationToken.None));
    }
}
