namespace Meshfleet.Bench.Systems;

/// <summary>One live subscriber of an agent's inbox.</summary>
internal interface IInboxReader : IAsyncDisposable
{
    /// <summary>Waits for the next pushed message; its arrival is stamped when its bytes were read off the socket.</summary>
    ValueTask<InboxDelivery> ReceiveAsync(CancellationToken cancellationToken);
}
