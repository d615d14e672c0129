using Meshfleet.Core.Agents;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Routing;
using Meshfleet.Core.Storage;
using Meshfleet.Storage.Sqlite;
using Microsoft.Extensions.DependencyInjection;

namespace Meshfleet.Hosting;

/// <summary>Registers the SQLite backend: every storage role over one opened file, and its cross-process change signal.</summary>
internal static class SqliteRegistration
{
    /// <summary>
    /// Registers <paramref name="store"/>, opened by the caller so that a store this build must refuse fails before the
    /// host starts. Registered through a factory so the container still owns and disposes it.
    /// </summary>
    public static IServiceCollection AddMeshfleetSqlite(this IServiceCollection services, SqliteMessageStore store)
    {
        services.AddSingleton(_ => store);
        services.AddSingleton<IMessageLog>(sp => sp.GetRequiredService<SqliteMessageStore>());
        services.AddSingleton(store.Traits);
        services.AddSingleton<IAgentDirectory>(sp => new SqliteAgentDirectory(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IDeliveryLedger>(sp => new SqliteDeliveryLedger(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IAgentKeyStore>(sp => new SqliteAgentKeys(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IEmbeddingStore>(sp => new SqliteEmbeddingStore(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IRouteLog>(sp => new SqliteRouteLog(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddSingleton<IStoreMeta>(sp => new SqliteMeta(sp.GetRequiredService<SqliteMessageStore>()));
        services.AddHostedService<SqliteChangeSignal>();
        return services;
    }
}
