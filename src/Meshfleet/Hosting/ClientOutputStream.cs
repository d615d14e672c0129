namespace Meshfleet.Hosting;

/// <summary>
/// Standard output for the MCP stdio transport: buffers each message and writes it with one synchronous write when the
/// transport flushes. The console stream has no asynchronous writes of its own: its WriteAsync and FlushAsync each
/// queue a blocking call to the thread pool, two thread hops per response on the path of every tool call. Writing to a
/// pipe returns at once unless the client stops reading, and then the asynchronous form blocks a pool thread all the same.
/// </summary>
internal sealed class ClientOutputStream : Stream
{
    private readonly Stream _output;
    private readonly MemoryStream _pending = new();

    public ClientOutputStream(Stream output)
    {
        _output = output;
    }

    public override bool CanRead => false;

    public override bool CanSeek => false;

    public override bool CanWrite => true;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

    public override void Write(ReadOnlySpan<byte> buffer) => _pending.Write(buffer);

    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken)
    {
        Write(buffer.AsSpan(offset, count));
        return Task.CompletedTask;
    }

    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        Write(buffer.Span);
        return ValueTask.CompletedTask;
    }

    public override void Flush()
    {
        if (_pending.Length > 0)
        {
            _output.Write(_pending.GetBuffer().AsSpan(0, (int)_pending.Length));
            _pending.SetLength(0);
        }

        _output.Flush();
    }

    public override Task FlushAsync(CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        Flush();
        return Task.CompletedTask;
    }

    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _output.Dispose();
            _pending.Dispose();
        }

        base.Dispose(disposing);
    }
}
