using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.Sqlite;

/// <summary>An append waiting for the group commit, and the caller waiting for it.</summary>
internal sealed class PendingAppend(MessageDraft draft)
{
    public MessageDraft Draft { get; } = draft;

    public TaskCompletionSource<AppendResult> Done { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
}
