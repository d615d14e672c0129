using Xunit;

namespace Meshfleet.Storage.Nats.Tests;

/// <summary>One nats-server per test class; each test gets its own mesh on it (a stream and buckets of its own name).</summary>
public sealed class NatsServerFixture : IAsyncLifetime
{
    private NatsServer? _server;

    public NatsServer Server => _server ?? throw new InvalidOperationException("The server is not started.");

    public async Task InitializeAsync() => _server = await NatsServer.StartAsync();

    public async Task DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }

    /// <summary>Options for a fresh mesh on the server.</summary>
    public NatsStoreOptions NewMesh() => new() { Url = Server.Url, Mesh = "t" + Guid.NewGuid().ToString("N")[..12] };
}
