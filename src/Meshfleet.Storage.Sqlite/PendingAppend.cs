using Meshfleet.Core.Messaging;
using Meshfleet.Core.Storage;

namespace Meshfleet.Storage.Sqlite;

/// <summary>
/// An append waiting for the group commit, and the caller waiting for it (one object per append, not two).
/// Continuations run asynchronously: completed inline, each caller's own work would run on the committer's thread and
/// hold up the next group.
/// </summary>
internal sealed class PendingAppend(MessageDraft draft) : TaskCompletionSource<AppendResult>(TaskCreationOptions.RunContinuationsAsynchronously)
{
    public MessageDraft Draft { get; } = draft;
}
