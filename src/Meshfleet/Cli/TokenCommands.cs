using Meshfleet.Configuration;
using Meshfleet.Hosting;
using Meshfleet.Storage.Sqlite;

namespace Meshfleet.Cli;

/// <summary><c>meshfleet rotate-token</c>: replaces the token a protected store accepts, proven by the current one.</summary>
internal static class TokenCommands
{
    public static async Task<int> RotateAsync(MeshfleetSettings settings, TextReader input, CancellationToken cancellationToken)
    {
        // From stdin rather than a flag, so the new token stays out of the process list and the shell history.
        string? next = (await input.ReadLineAsync(cancellationToken).ConfigureAwait(false))?.Trim();
        if (next is null || next.Length < 16 || next.Any(char.IsWhiteSpace))
        {
            await Console.Error.WriteLineAsync("meshfleet: rotate-token reads the new token from stdin: one line, 16 or more characters, no spaces (for example: openssl rand -hex 32 | meshfleet rotate-token).").ConfigureAwait(false);
            return 2;
        }

        if (settings.Token is null)
        {
            await Console.Error.WriteLineAsync("meshfleet: rotate-token needs the store's current token in MESHFLEET_TOKEN / --token.").ConfigureAwait(false);
            return 2;
        }

        await using SqliteMessageStore store = SqliteMessageStore.Open(new SqliteStoreOptions { Path = settings.DatabasePath }, TimeProvider.System);
        var protection = new StoreProtection(settings, new SqliteMeta(store), store);
        if (await protection.RotateAsync(next, cancellationToken).ConfigureAwait(false) is { } refusal)
        {
            await Console.Error.WriteLineAsync($"meshfleet: rotate-token refused: {refusal}. Set MESHFLEET_TOKEN to the token the store has now.").ConfigureAwait(false);
            return 1;
        }

        await Console.Error.WriteLineAsync($"meshfleet: the store at {store.Path} now accepts the new token only. Restart the service and stdio processes with it; processes holding the old one leave the port within a second.").ConfigureAwait(false);
        return 0;
    }
}
