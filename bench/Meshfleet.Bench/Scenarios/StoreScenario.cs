using System.Diagnostics;
using Meshfleet.Bench.Measurement;
using Meshfleet.Bench.Reporting;
using Meshfleet.Core.Messaging;
using Meshfleet.Storage.Sqlite;
using Microsoft.Data.Sqlite;

namespace Meshfleet.Bench.Scenarios;

/// <summary>
/// Messages per second into the SQLite store without any protocol: <see cref="SqliteMessageStore.AppendAsync"/> from
/// 1, 8 and 32 concurrent callers. Beside it, the ceiling group commit could reach: the same file, schema and INSERT,
/// many rows per transaction.
/// </summary>
internal static class StoreScenario
{
    private const int BatchSize = 64;

    public static async Task<IReadOnlyList<BenchResult>> RunAsync(int messages, IReadOnlyList<int> concurrencies, BenchProgress progress, CancellationToken cancellationToken)
    {
        var results = new List<BenchResult>();
        foreach (int concurrency in concurrencies)
        {
            results.Add(await AppendAsync(messages, concurrency, syncEveryCommit: false, progress, cancellationToken));
        }

        results.Add(await AppendAsync(Math.Max(500, messages / 10), 8, syncEveryCommit: true, progress, cancellationToken));
        results.Add(await InsertBatchedAsync(messages, cancellationToken));
        return results;
    }

    private static async Task<BenchResult> AppendAsync(int messages, int concurrency, bool syncEveryCommit, BenchProgress progress, CancellationToken cancellationToken)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-store-").FullName;
        try
        {
            var latency = new LatencyHistogram();
            int appended = 0;
            await using (SqliteMessageStore store = SqliteMessageStore.Open(
                new SqliteStoreOptions { Path = Path.Combine(directory, "store.db"), SyncEveryCommit = syncEveryCommit },
                TimeProvider.System))
            {
                for (int i = 0; i < 200; i++)
                {
                    await store.AppendAsync(Draft("warm", i), cancellationToken);
                }

                long start = Stopwatch.GetTimestamp();
                await Task.WhenAll(Enumerable.Range(0, concurrency).Select(c => Task.Run(
                    async () =>
                    {
                        for (int i = c; i < messages; i += concurrency)
                        {
                            long begin = Stopwatch.GetTimestamp();
                            await store.AppendAsync(Draft("agent-" + c, i), cancellationToken);
                            latency.RecordBetween(begin, Stopwatch.GetTimestamp());
                            progress.Update($"store, {concurrency} callers{(syncEveryCommit ? ", full durability" : string.Empty)}: {Interlocked.Increment(ref appended)}/{messages}");
                        }
                    },
                    cancellationToken)));
                double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
                return new BenchResult("store", syncEveryCommit ? "sqlite-store-full" : "sqlite-store", $"{concurrency} concurrent appends")
                {
                    AckLatency = latency.Summarize(),
                    RatePerSecond = messages / seconds,
                    Count = messages,
                    Note = syncEveryCommit ? "MESHFLEET_DURABILITY=full: fsync every commit" : "synchronous=NORMAL (the default); concurrent appends share a group commit",
                };
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }
    }

    private static async Task<BenchResult> InsertBatchedAsync(int messages, CancellationToken cancellationToken)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-store-").FullName;
        string path = Path.Combine(directory, "store.db");
        try
        {
            await using (SqliteMessageStore.Open(new SqliteStoreOptions { Path = path }, TimeProvider.System))
            {
                // Creates the file with the product's schema; the batched inserts below use it as the store would.
            }

            await using var connection = new SqliteConnection(new SqliteConnectionStringBuilder { DataSource = path, Pooling = false }.ToString());
            await connection.OpenAsync(cancellationToken);
            foreach (string pragma in new[] { "PRAGMA journal_mode = WAL", "PRAGMA synchronous = NORMAL" })
            {
                await using SqliteCommand command = connection.CreateCommand();
                command.CommandText = pragma;
                await command.ExecuteNonQueryAsync(cancellationToken);
            }

            long start = Stopwatch.GetTimestamp();
            for (int first = 0; first < messages; first += BatchSize)
            {
                await using SqliteTransaction transaction = (SqliteTransaction)await connection.BeginTransactionAsync(cancellationToken);
                await using SqliteCommand insert = connection.CreateCommand();
                insert.Transaction = transaction;
                insert.CommandText = """
                    INSERT INTO messages (message_id, from_agent_id, to_agent_id, payload, timestamp, thread_id, reply_to, idempotency_key)
                    VALUES ($id, $from, $to, $payload, $ts, NULL, NULL, NULL) RETURNING seq
                    """;
                SqliteParameter id = insert.Parameters.Add("$id", SqliteType.Text);
                SqliteParameter from = insert.Parameters.Add("$from", SqliteType.Text);
                SqliteParameter to = insert.Parameters.Add("$to", SqliteType.Text);
                SqliteParameter payload = insert.Parameters.Add("$payload", SqliteType.Text);
                SqliteParameter ts = insert.Parameters.Add("$ts", SqliteType.Integer);
                for (int i = first; i < Math.Min(messages, first + BatchSize); i++)
                {
                    MessageDraft draft = Draft("agent-" + (i % 32), i);
                    id.Value = draft.MessageId;
                    from.Value = draft.FromAgentId;
                    to.Value = draft.ToAgentId;
                    payload.Value = draft.Payload;
                    ts.Value = draft.Timestamp;
                    await insert.ExecuteScalarAsync(cancellationToken);
                }

                await transaction.CommitAsync(cancellationToken);
            }

            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            return new BenchResult("store", "sqlite-batched", $"{BatchSize} per transaction")
            {
                RatePerSecond = messages / seconds,
                Count = messages,
                Note = "ceiling for group commit: the store's file, schema and INSERT, one commit per batch",
            };
        }
        finally
        {
            SqliteConnection.ClearAllPools();
            Directory.Delete(directory, recursive: true);
        }
    }

    private static MessageDraft Draft(string from, int i) => new(
        "msg_" + Guid.CreateVersion7().ToString("N"),
        from,
        "inbox-" + (i % 32),
        "payload " + i,
        DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
}
