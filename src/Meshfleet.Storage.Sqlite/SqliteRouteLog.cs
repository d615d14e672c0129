using Meshfleet.Core.Routing;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>Routed hand-offs in the store's <c>routed_messages</c> table, one row per message.</summary>
public sealed class SqliteRouteLog : IRouteLog
{
    private readonly SqliteMessageStore _store;

    public SqliteRouteLog(SqliteMessageStore store)
    {
        _store = store;
    }

    public async ValueTask RecordAsync(RouteRecord record, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = connection.CreateCommand();
                command.Transaction = transaction;
                command.CommandText = """
                    INSERT OR IGNORE INTO routed_messages (message_id, from_agent_id, fleet_id, to_agent_id, score, model, routed_at)
                    VALUES ($id, $from, $fleet, $to, $score, $model, $at)
                    """;
                command.Parameters.AddWithValue("$id", record.MessageId);
                command.Parameters.AddWithValue("$from", record.FromAgentId);
                command.Parameters.AddWithValue("$fleet", (object?)record.FleetId ?? DBNull.Value);
                command.Parameters.AddWithValue("$to", record.ToAgentId);
                command.Parameters.AddWithValue("$score", record.Score);
                command.Parameters.AddWithValue("$model", record.Model);
                command.Parameters.AddWithValue("$at", record.RoutedAt);
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);
}
