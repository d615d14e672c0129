using Meshfleet.Json;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>Writes the JSON <c>{error, detail}</c> body every HTTP error carries.</summary>
internal static class HttpErrors
{
    public static Task WriteAsync(HttpContext context, int status, string error, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new HttpError(error, detail), MeshfleetJsonContext.Default.HttpError, cancellationToken: context.RequestAborted);
    }

    public static IResult Result(int status, string error, string detail) =>
        TypedResults.Json(new HttpError(error, detail), MeshfleetJsonContext.Default.HttpError, statusCode: status);
}
