using Meshfleet.Json;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// Writes the JSON <c>{error, detail}</c> body every HTTP error carries, with the plain encoder: a person reading it with
/// curl sees <c>'payload'</c>, not <c>\u0027payload\u0027</c>. It is served as application/json, never into HTML.
/// </summary>
internal static class HttpErrors
{
    public static Task WriteAsync(HttpContext context, int status, string error, string detail)
    {
        context.Response.StatusCode = status;
        return context.Response.WriteAsJsonAsync(new HttpError(error, detail), MeshfleetJsonContext.Plain.HttpError, cancellationToken: context.RequestAborted);
    }

    public static IResult Result(int status, string error, string detail) =>
        TypedResults.Json(new HttpError(error, detail), MeshfleetJsonContext.Plain.HttpError, statusCode: status);
}
