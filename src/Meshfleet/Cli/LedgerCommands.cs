using System.Text;
using System.Text.Json;
using Meshfleet.Configuration;
using Meshfleet.Core.Messaging;
using Meshfleet.Json;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli;

/// <summary><c>meshfleet export</c> and <c>meshfleet import</c>: the whole ledger as JSON Lines, one message per line.</summary>
internal static class LedgerCommands
{
    private const int Batch = 2000;

    public static async Task<int> ExportAsync(MeshfleetSettings settings, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        string? outPath = null;
        for (int i = 0; i < args.Count; i++)
        {
            if (args[i] == "--out" && i + 1 < args.Count)
            {
                outPath = args[++i];
            }
            else
            {
                return Usage($"export does not take '{args[i]}'. Usage: meshfleet export [--out FILE]");
            }
        }

        await using SqliteMessageStore store = OpenStore(settings);
        long total = await store.ReadHeadSeqAsync(cancellationToken);
        Stream output = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
        await using (output)
        {
            var progress = new ProgressReporter("export", total);
            long cursor = 0;
            long written = 0;
            byte[] newline = "\n"u8.ToArray();
            while (true)
            {
                IReadOnlyList<MeshMessage> page = await store.ReadAfterAsync(cursor, Batch, cancellationToken);
                if (page.Count == 0)
                {
                    break;
                }

                foreach (MeshMessage message in page)
                {
                    await JsonSerializer.SerializeAsync(output, message, MeshfleetJsonContext.Plain.MeshMessage, cancellationToken);
                    await output.WriteAsync(newline, cancellationToken);
                    cursor = message.Seq;
                }

                written += page.Count;
                progress.Report(cursor, written);
            }

            progress.Finish($"exported {written} messages");
        }

        return 0;
    }

    public static async Task<int> ImportAsync(MeshfleetSettings settings, IReadOnlyList<string> args, CancellationToken cancellationToken)
    {
        if (args.Count != 1)
        {
            return Usage("Usage: meshfleet import FILE   (a JSON Lines file from meshfleet export)");
        }

        string path = args[0];
        if (!File.Exists(path))
        {
            return Usage($"import: no file at '{path}'. Pass the path of a file written by 'meshfleet export --out FILE'.");
        }

        await using SqliteMessageStore store = OpenStore(settings);
        using var reader = new StreamReader(path, Encoding.UTF8);
        long size = reader.BaseStream.Length;
        var progress = new ProgressReporter("import", size);
        var batch = new List<MeshMessage>(Batch);
        long lineNumber = 0;
        long added = 0;
        long read = 0;
        while (await reader.ReadLineAsync(cancellationToken) is { } line)
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
            {
                continue;
            }

            MeshMessage message;
            try
            {
                message = JsonSerializer.Deserialize(line, MeshfleetJsonContext.Default.MeshMessage)
                    ?? throw new JsonException("null is not a message");
                InputRules.AgentId(message.FromAgentId, "from_agent_id");
                InputRules.AgentId(message.ToAgentId, "to_agent_id");
                if (string.IsNullOrEmpty(message.MessageId) || message.Payload is null)
                {
                    throw new MeshInputException("message_id and payload are required");
                }
            }
            catch (Exception ex) when (ex is JsonException or MeshInputException)
            {
                await Console.Error.WriteLineAsync($"meshfleet import: line {lineNumber} of {path} is not a message ({ex.Message}). Nothing after line {lineNumber - batch.Count - 1} was imported; fix the line and import again (messages already imported are skipped).");
                added += await store.ImportAsync(batch, cancellationToken);
                return 1;
            }

            batch.Add(message);
            read++;
            if (batch.Count == Batch)
            {
                added += await store.ImportAsync(batch, cancellationToken);
                batch.Clear();
                progress.Report(reader.BaseStream.Position, read);
            }
        }

        added += await store.ImportAsync(batch, cancellationToken);
        progress.Finish($"imported {added} new messages ({read - added} already present)");
        return 0;
    }

    private static SqliteMessageStore OpenStore(MeshfleetSettings settings) => SqliteMessageStore.Open(
        new SqliteStoreOptions { Path = settings.DatabasePath, SyncEveryCommit = settings.SyncEveryCommit },
        TimeProvider.System);

    private static int Usage(string message)
    {
        Console.Error.WriteLine("meshfleet: " + message);
        return 2;
    }
}
