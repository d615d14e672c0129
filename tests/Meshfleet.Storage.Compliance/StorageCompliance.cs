using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Storage.Compliance;

/// <summary>
/// What every compliance suite shares: the backend's <see cref="StoreFactory"/>, the handles a test opened (closed after
/// it), and message drafts with unique ids. Suites state semantics only; where backends may differ they read the traits.
/// </summary>
public abstract class StorageCompliance : IAsyncLifetime
{
    private readonly List<StoreHandle> _opened = [];
    private StoreFactory? _factory;
    private int _ids;

    /// <summary>Makes the backend's factory; called once per test.</summary>
    protected abstract StoreFactory CreateFactory();

    private StoreFactory Factory => _factory ??= CreateFactory();

    protected static CancellationToken None => CancellationToken.None;

    public Task InitializeAsync() => Task.CompletedTask;

    public async Task DisposeAsync()
    {
        foreach (StoreHandle handle in _opened)
        {
            await handle.CloseAsync();
        }

        if (_factory is not null)
        {
            await _factory.DisposeAsync();
        }
    }

    /// <summary>A new, empty store.</summary>
    protected StoreHandle Open() => Track(Factory.Create());

    /// <summary>Another handle on the same store (close the first one before, to stand for a restart).</summary>
    protected StoreHandle Reopen(StoreHandle handle) => Track(Factory.Reopen(handle));

    protected MessageDraft Draft(string from, string to, string payload, string? key = null) =>
        new($"msg_test_{Interlocked.Increment(ref _ids)}_{Guid.NewGuid():N}", from, to, payload, 1_763_942_400_000 + _ids, IdempotencyKey: key);

    private StoreHandle Track(StoreHandle handle)
    {
        _opened.Add(handle);
        return handle;
    }
}
