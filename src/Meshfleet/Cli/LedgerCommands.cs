using System.Text;
using Meshfleet.Cli.Export;
using Meshfleet.Configuration;
using Meshfleet.Hosting;
using Meshfleet.Storage.Nats;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli;

/// <summary><c>meshfleet export</c> and <c>meshfleet import</c>: the whole mesh as versioned JSON Lines (docs/export-format.md).</summary>
internal static class LedgerCommands
{
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

        await using MeshStores stores = await OpenStoresAsync(settings, cancellationToken);
        long total = await stores.Log.ReadHeadSeqAsync(cancellationToken);
        Stream output = outPath is null ? Console.OpenStandardOutput() : File.Create(outPath);
        await using (output)
        {
            var progress = new ProgressReporter("export", total);
            ExportCounts counts = await new MeshExporter(stores, TimeProvider.System).WriteAsync(output, progress.Report, cancellationToken);
            progress.Finish($"exported {counts.Messages} messages, {counts.Agents} agents, {counts.Fleets} fleets, {counts.Deliveries} delivery records (format {ExportFormat.Name} v{ExportFormat.Version})");
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

        await using MeshStores stores = await OpenStoresAsync(settings, cancellationToken);
        using var reader = new StreamReader(path, Encoding.UTF8);
        var progress = new ProgressReporter("import", reader.BaseStream.Length);
        var importer = new MeshImporter(stores);
        try
        {
            await importer.ImportAsync(reader, path, progress.Report, cancellationToken);
        }
        catch (ExportFileException ex)
        {
            await Console.Error.WriteLineAsync("meshfleet import: " + ex.Message);
            return 1;
        }

        ExportCounts added = importer.Added;
        progress.Finish(
            $"imported {added.Messages} new messages ({importer.MessagesRead - added.Messages} already present), " +
            $"{added.Agents} agents, {added.Fleets} fleets, {added.Deliveries} delivery records");
        return 0;
    }

    /// <summary>The configured backend's storage roles (NATS when MESHFLEET_NATS_URL is set, else the SQLite file): export and import know nothing else about it.</summary>
    private static async Task<MeshStores> OpenStoresAsync(MeshfleetSettings settings, CancellationToken cancellationToken)
    {
        if (settings.NatsUrl is not null)
        {
            using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            timeout.CancelAfter(TimeSpan.FromSeconds(30));
            (NatsMesh mesh, NatsMessageStore log) = await NatsRegistration.OpenAsync(NatsRegistration.Options(settings), timeout.Token);
            return new MeshStores(log, new NatsAgentDirectory(mesh), new NatsDeliveryLedger(mesh, log), [log, mesh]);
        }

        SqliteMessageStore store = SqliteMessageStore.Open(
            new SqliteStoreOptions { Path = settings.DatabasePath, SyncEveryCommit = settings.SyncEveryCommit },
            TimeProvider.System);
        return new MeshStores(store, new SqliteAgentDirectory(store), new SqliteDeliveryLedger(store), [store]);
    }

    private static int Usage(string message)
    {
        Console.Error.WriteLine("meshfleet: " + message);
        return 2;
    }
}
