using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;

namespace Meshfleet.Http;

/// <summary>
/// Reads a request body into memory, capped before anything parses it: a body over the limit gets a 413 JSON error
/// (<c>MESHFLEET_MAX_REQUEST_BYTES</c>) and nothing is read further.
/// </summary>
internal static class CappedBody
{
    private const long DrainLimit = 16 * 1024 * 1024;

    /// <summary>The whole body, or null once the 413 has been written.</summary>
    public static async Task<MemoryStream?> ReadAsync(HttpContext context, long limit)
    {
        HttpRequest request = context.Request;
        if (request.ContentLength > limit)
        {
            // Read a moderately oversized body before answering, so the client finishes sending and sees the 413
            // instead of a reset connection; a huge one is refused without reading it.
            if (request.ContentLength <= DrainLimit && context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
            {
                size.MaxRequestBodySize = DrainLimit;
                await request.Body.CopyToAsync(Stream.Null, context.RequestAborted);
            }

            await TooLargeAsync(context, limit);
            return null;
        }

        // Kestrel caps a body of unknown length (chunked) at the same limit while it is read.
        var body = new MemoryStream(request.ContentLength is > 0 and var length ? (int)Math.Min(length, 1 << 20) : 256);
        try
        {
            await request.Body.CopyToAsync(body, context.RequestAborted);
        }
        catch (IOException)
        {
            // Kestrel's BadHttpRequestException (body over the server limit) is an IOException too.
            await body.DisposeAsync();
            await TooLargeAsync(context, limit);
            return null;
        }

        return body;
    }

    private static Task TooLargeAsync(HttpContext context, long limit) => HttpErrors.WriteAsync(context, StatusCodes.Status413PayloadTooLarge, "payload_too_large",
        $"The request body is over {limit} bytes (MESHFLEET_MAX_REQUEST_BYTES). Send smaller messages, or a reference to the data.");
}
