using Microsoft.Data.Sqlite;

namespace Meshfleet.Storage.Sqlite;

/// <summary>Small pieces every SQLite role implementation uses: a command in the write transaction, nullable columns.</summary>
internal static class SqliteRows
{
    public static SqliteCommand Command(SqliteConnection connection, SqliteTransaction transaction, string sql)
    {
        SqliteCommand command = connection.CreateCommand();
        command.Transaction = transaction;
        command.CommandText = sql;
        return command;
    }

    public static string? Text(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetString(i);

    public static long? Long(SqliteDataReader reader, int i) => reader.IsDBNull(i) ? null : reader.GetInt64(i);
}
