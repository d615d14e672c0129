using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Microsoft.Data.Sqlite;
using static Meshfleet.Storage.Sqlite.SqliteRows;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// The delivery ledger role: pushes, notified sessions, reads, the ack schedule and dead letters, in the same SQLite file
/// as the message log, so an append with an ack schedule and a dead letter with its notice each commit in one transaction.
/// </summary>
public sealed class SqliteDeliveryLedger : IDeliveryLedger
{
    private const string DeliveryColumns = "message_id, seq, from_agent_id, to_agent_id, requires_ack, attempts, next_attempt_at, pushed_streams, first_pushed_at, last_pushed_at, acked_at, dead_lettered_at, notified_sessions, first_notified_at, last_notified_at, read_at";
    private readonly SqliteMessageStore _store;

    public SqliteDeliveryLedger(SqliteMessageStore store)
    {
        _store = store;
    }

    public async ValueTask RecordPushesAsync(IReadOnlyList<PushRecord> pushes, CancellationToken cancellationToken)
    {
        if (pushes.Count == 0)
        {
            return;
        }

        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, pushed_streams, first_pushed_at, last_pushed_at)
                    VALUES ($id, $seq, $from, $to, $streams, $at, $at)
                    ON CONFLICT (message_id) DO UPDATE SET
                        pushed_streams = pushed_streams + $streams,
                        first_pushed_at = COALESCE(first_pushed_at, $at),
                        last_pushed_at = $at
                    """);
                SqliteParameter id = command.Parameters.Add("$id", SqliteType.Text);
                SqliteParameter seq = command.Parameters.Add("$seq", SqliteType.Integer);
                SqliteParameter from = command.Parameters.Add("$from", SqliteType.Text);
                SqliteParameter to = command.Parameters.Add("$to", SqliteType.Text);
                SqliteParameter streams = command.Parameters.Add("$streams", SqliteType.Integer);
                SqliteParameter at = command.Parameters.Add("$at", SqliteType.Integer);
                foreach (PushRecord push in pushes)
                {
                    id.Value = push.MessageId;
                    seq.Value = push.Seq;
                    from.Value = push.FromAgentId;
                    to.Value = push.ToAgentId;
                    streams.Value = push.Streams;
                    at.Value = push.At;
                    command.ExecuteNonQuery();
                }

                return pushes.Count;
            },
            cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<DeliveryRow?> AckAsync(string agentId, string messageId, long now, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, $"""
                    UPDATE deliveries SET acked_at = COALESCE(acked_at, $now), next_attempt_at = NULL
                    WHERE message_id = $id AND to_agent_id = $agent AND requires_ack = 1
                    RETURNING {DeliveryColumns}
                    """);
                command.Parameters.AddWithValue("$id", messageId);
                command.Parameters.AddWithValue("$agent", agentId);
                command.Parameters.AddWithValue("$now", now);
                using SqliteDataReader reader = command.ExecuteReader();
                return reader.Read() ? ReadDelivery(reader) : null;
            },
            cancellationToken);

    public async ValueTask<IReadOnlyList<DeliveryRow>> ListDueRedeliveriesAsync(long now, int limit, CancellationToken cancellationToken) =>
        await _store.ReadAsync(
            $"""
            SELECT {DeliveryColumns} FROM deliveries
            WHERE requires_ack = 1 AND acked_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at <= $now
            ORDER BY next_attempt_at LIMIT $limit
            """,
            c =>
            {
                c.Parameters.AddWithValue("$now", now);
                c.Parameters.AddWithValue("$limit", limit);
            },
            ReadDelivery,
            cancellationToken).ConfigureAwait(false);

    public ValueTask<int> PullInRedeliveriesAsync(long latest, long now, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    UPDATE deliveries SET next_attempt_at = $now
                    WHERE requires_ack = 1 AND acked_at IS NULL AND dead_lettered_at IS NULL AND next_attempt_at > $latest
                    """);
                command.Parameters.AddWithValue("$latest", latest);
                command.Parameters.AddWithValue("$now", now);
                return command.ExecuteNonQuery();
            },
            cancellationToken);

    public async ValueTask RecordAttemptAsync(string messageId, int attempts, long? nextAttemptAt, long? deadLetteredAt, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    UPDATE deliveries SET attempts = $attempts, next_attempt_at = $next, dead_lettered_at = $dead
                    WHERE message_id = $id AND acked_at IS NULL
                    """);
                command.Parameters.AddWithValue("$id", messageId);
                command.Parameters.AddWithValue("$attempts", attempts);
                command.Parameters.AddWithValue("$next", (object?)nextAttemptAt ?? DBNull.Value);
                command.Parameters.AddWithValue("$dead", (object?)deadLetteredAt ?? DBNull.Value);
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);

    public ValueTask<MeshMessage?> DeadLetterAsync(string messageId, long now, MessageDraft notice, CancellationToken cancellationToken) =>
        _store.AppendIfAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    UPDATE deliveries SET dead_lettered_at = $now, next_attempt_at = NULL
                    WHERE message_id = $id AND acked_at IS NULL AND dead_lettered_at IS NULL
                    """);
                command.Parameters.AddWithValue("$id", messageId);
                command.Parameters.AddWithValue("$now", now);
                return command.ExecuteNonQuery() == 1;
            },
            notice,
            cancellationToken);

    public async ValueTask RecordNotifiedAsync(MeshMessage message, long at, CancellationToken cancellationToken) =>
        await _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, notified_sessions, first_notified_at, last_notified_at)
                    VALUES ($id, $seq, $from, $to, 1, $at, $at)
                    ON CONFLICT (message_id) DO UPDATE SET
                        notified_sessions = notified_sessions + 1,
                        first_notified_at = COALESCE(first_notified_at, $at),
                        last_notified_at = $at
                    """);
                command.Parameters.AddWithValue("$id", message.MessageId);
                command.Parameters.AddWithValue("$seq", message.Seq);
                command.Parameters.AddWithValue("$from", message.FromAgentId);
                command.Parameters.AddWithValue("$to", message.ToAgentId);
                command.Parameters.AddWithValue("$at", at);
                return command.ExecuteNonQuery();
            },
            cancellationToken).ConfigureAwait(false);

    public async ValueTask RecordReadAsync(IReadOnlyList<MeshMessage> messages, long at, CancellationToken cancellationToken)
    {
        if (messages.Count == 0)
        {
            return;
        }

        await _store.WriteAsync(
            (connection, transaction) =>
            {
                // Only the first read counts, so an unchanged row is not rewritten on every poll.
                using SqliteCommand command = Command(connection, transaction, """
                    INSERT INTO deliveries (message_id, seq, from_agent_id, to_agent_id, read_at)
                    VALUES ($id, $seq, $from, $to, $at)
                    ON CONFLICT (message_id) DO UPDATE SET read_at = $at WHERE read_at IS NULL
                    """);
                command.Parameters.AddWithValue("$at", at);
                SqliteParameter id = command.Parameters.Add("$id", SqliteType.Text);
                SqliteParameter seq = command.Parameters.Add("$seq", SqliteType.Integer);
                SqliteParameter from = command.Parameters.Add("$from", SqliteType.Text);
                SqliteParameter to = command.Parameters.Add("$to", SqliteType.Text);
                foreach (MeshMessage message in messages)
                {
                    id.Value = message.MessageId;
                    seq.Value = message.Seq;
                    from.Value = message.FromAgentId;
                    to.Value = message.ToAgentId;
                    command.ExecuteNonQuery();
                }

                return messages.Count;
            },
            cancellationToken).ConfigureAwait(false);
    }

    public ValueTask<IReadOnlyList<MeshMessage>> ListUnseenAsync(string agentId, long fromTimestamp, long throughSeq, int limit, CancellationToken cancellationToken) =>
        _store.QueryAsync(
            $"""
            SELECT {SqliteMessageStore.Columns} FROM messages m
            WHERE m.to_agent_id = $agent AND m.seq <= $through AND m.timestamp >= $from
              AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.message_id = m.message_id AND (d.notified_sessions > 0 OR d.read_at IS NOT NULL))
            ORDER BY m.seq LIMIT $limit
            """,
            command =>
            {
                command.Parameters.AddWithValue("$agent", agentId);
                command.Parameters.AddWithValue("$through", throughSeq);
                command.Parameters.AddWithValue("$from", fromTimestamp);
                command.Parameters.AddWithValue("$limit", limit);
            },
            cancellationToken);

    public async ValueTask<DeliveryRow?> GetDeliveryAsync(string messageId, CancellationToken cancellationToken)
    {
        List<DeliveryRow> rows = await _store.ReadAsync($"SELECT {DeliveryColumns} FROM deliveries WHERE message_id = $id", c => c.Parameters.AddWithValue("$id", messageId), ReadDelivery, cancellationToken).ConfigureAwait(false);
        return rows.Count > 0 ? rows[0] : null;
    }

    public async ValueTask<IReadOnlyList<DeliveryRow>> ListDeliveriesAsync(long afterSeq, int limit, CancellationToken cancellationToken) =>
        await _store.ReadAsync(
            $"SELECT {DeliveryColumns} FROM deliveries WHERE seq > $after ORDER BY seq LIMIT $limit",
            c =>
            {
                c.Parameters.AddWithValue("$after", afterSeq);
                c.Parameters.AddWithValue("$limit", limit);
            },
            ReadDelivery,
            cancellationToken).ConfigureAwait(false);

    public ValueTask<int> ImportDeliveriesAsync(IReadOnlyList<DeliveryRow> deliveries, CancellationToken cancellationToken) =>
        _store.WriteAsync(
            (connection, transaction) =>
            {
                using SqliteCommand command = Command(connection, transaction, $"""
                    INSERT INTO deliveries ({DeliveryColumns})
                    VALUES ($id, $seq, $from, $to, $ack, $attempts, $next, $pushed, $firstPushed, $lastPushed, $acked, $dead, $notified, $firstNotified, $lastNotified, $read)
                    ON CONFLICT (message_id) DO NOTHING
                    """);
                int added = 0;
                foreach (DeliveryRow row in deliveries)
                {
                    command.Parameters.Clear();
                    command.Parameters.AddWithValue("$id", row.MessageId);
                    command.Parameters.AddWithValue("$seq", row.Seq);
                    command.Parameters.AddWithValue("$from", row.FromAgentId);
                    command.Parameters.AddWithValue("$to", row.ToAgentId);
                    command.Parameters.AddWithValue("$ack", row.RequiresAck ? 1 : 0);
                    command.Parameters.AddWithValue("$attempts", row.Attempts);
                    command.Parameters.AddWithValue("$next", (object?)row.NextAttemptAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$pushed", row.PushedStreams);
                    command.Parameters.AddWithValue("$firstPushed", (object?)row.FirstPushedAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$lastPushed", (object?)row.LastPushedAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$acked", (object?)row.AckedAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$dead", (object?)row.DeadLetteredAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$notified", row.NotifiedSessions);
                    command.Parameters.AddWithValue("$firstNotified", (object?)row.FirstNotifiedAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$lastNotified", (object?)row.LastNotifiedAt ?? DBNull.Value);
                    command.Parameters.AddWithValue("$read", (object?)row.ReadAt ?? DBNull.Value);
                    added += command.ExecuteNonQuery();
                }

                return added;
            },
            cancellationToken);

    private static DeliveryRow ReadDelivery(SqliteDataReader r) => new(
        MessageId: r.GetString(0),
        Seq: r.GetInt64(1),
        FromAgentId: r.GetString(2),
        ToAgentId: r.GetString(3),
        RequiresAck: r.GetInt64(4) != 0,
        Attempts: r.GetInt32(5),
        NextAttemptAt: Long(r, 6),
        PushedStreams: r.GetInt32(7),
        FirstPushedAt: Long(r, 8),
        LastPushedAt: Long(r, 9),
        AckedAt: Long(r, 10),
        DeadLetteredAt: Long(r, 11),
        NotifiedSessions: r.GetInt32(12),
        FirstNotifiedAt: Long(r, 13),
        LastNotifiedAt: Long(r, 14),
        ReadAt: Long(r, 15));
}
