using System.Net;
using Meshfleet.Configuration;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;

namespace Meshfleet.Hosting;

/// <summary>
/// The process's one <see cref="WebApplication"/> server, bound only while this process holds the port. The web host
/// hands it the request pipeline at start-up as to any server; <see cref="PortHolderElection"/> then binds a Kestrel
/// server to the port when it wins it and unbinds it when it leaves. A Kestrel server starts once, so each time the port
/// is won gets a fresh one over the same pipeline and the same container: nothing is copied.
/// </summary>
internal sealed class PortServer : IServer
{
    private readonly MeshfleetSettings _settings;
    private readonly IConnectionListenerFactory _transport;
    private readonly ILoggerFactory _loggers;
    private readonly IServiceProvider _services;
    private readonly TaskCompletionSource<Func<KestrelServer, CancellationToken, Task>> _pipeline = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public PortServer(MeshfleetSettings settings, IConnectionListenerFactory transport, ILoggerFactory loggers, IServiceProvider services)
    {
        _settings = settings;
        _transport = transport;
        _loggers = loggers;
        _services = services;
        Features.Set<IServerAddressesFeature>(new ServerAddressesFeature());
    }

    /// <summary>Features the web host reads at start-up; Kestrel's own listen options decide the address.</summary>
    public IFeatureCollection Features { get; } = new FeatureCollection();

    /// <summary>Called by the web host at start-up: keeps the request pipeline for the Kestrel servers bound later.</summary>
    public Task StartAsync<TContext>(IHttpApplication<TContext> application, CancellationToken cancellationToken)
        where TContext : notnull
    {
        _pipeline.TrySetResult((server, ct) => server.StartAsync(application, ct));
        return Task.CompletedTask;
    }

    /// <summary>Nothing to stop here: the election stops the Kestrel server it bound.</summary>
    public Task StopAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    public void Dispose()
    {
    }

    /// <summary>
    /// Binds a fresh Kestrel server to the configured port once the web host has started; throws
    /// <see cref="IOException"/> when the port is taken. Returns the server and the port it is bound to.
    /// </summary>
    public async Task<(KestrelServer Server, int Port)> BindAsync(CancellationToken cancellationToken)
    {
        Func<KestrelServer, CancellationToken, Task> start = await _pipeline.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        var options = new KestrelServerOptions { AddServerHeader = false, ApplicationServices = _services };
        options.Limits.MaxRequestBodySize = _settings.MaxRequestBytes;
        options.Listen(IPAddress.Parse(_settings.SseHost), _settings.SsePort);
        var server = new KestrelServer(Options.Create(options), _transport, _loggers);
        try
        {
            await start(server, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            server.Dispose();
            throw;
        }

        string address = server.Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (server, new Uri(address).Port);
    }
}
