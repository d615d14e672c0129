using System.Globalization;
using Meshfleet.Bench.Floor;

namespace Meshfleet.Bench.Systems;

/// <summary>The floor relay (<see cref="FloorRelay"/>) in a child process of the bench, with the same GC mode as meshfleet.</summary>
internal sealed class FloorRelaySystem : IMessagingSystem
{
    private readonly ServerProcess _server;
    private readonly int _port;
    private readonly HttpClient _streams = SseHttp.CreateClient();

    private FloorRelaySystem(ServerProcess server, int port)
    {
        _server = server;
        _port = port;
    }

    public string Name => "floor";

    public int? ServerProcessId => _server.Id;

    public int MaxSenders => int.MaxValue;

    public static async Task<FloorRelaySystem> StartAsync(CancellationToken cancellationToken)
    {
        int port = BenchNode.FreePort();
        string self = Environment.ProcessPath!;
        bool viaHost = Path.GetFileNameWithoutExtension(self) == "dotnet";
        ServerProcess server = await ServerProcess.StartAsync(
            self,
            _ => (viaHost ? [Path.Combine(AppContext.BaseDirectory, "Meshfleet.Bench.dll")] : Array.Empty<string>())
                .Concat(["--floor-relay", port.ToString(CultureInfo.InvariantCulture)]),
            FloorRelay.ReadyLine,
            new Dictionary<string, string> { ["DOTNET_gcServer"] = "1" },
            cancellationToken);
        return new FloorRelaySystem(server, port);
    }

    public ValueTask<IMessageSender> ConnectSenderAsync(CancellationToken cancellationToken) =>
        ValueTask.FromResult<IMessageSender>(JsonPostSender.FloorRelay(new Uri($"http://127.0.0.1:{_port}/")));

    public async ValueTask<IInboxReader> SubscribeAsync(string agentId, CancellationToken cancellationToken) =>
        await SseInboxReader.OpenAsync(_streams, new Uri($"http://127.0.0.1:{_port}/stream/{agentId}"), bearerToken: null, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        _streams.Dispose();
        await _server.DisposeAsync();
    }
}
