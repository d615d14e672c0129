using System.Security.Cryptography;
using System.Text;
using Meshfleet.Configuration;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// When a token is set, every endpoint but /healthz needs <c>Authorization: Bearer &lt;token&gt;</c>; an inbox stream
/// also opens with a capability for that agent (<c>?cap=</c>, as returned by subscribe_inbox).
/// </summary>
internal sealed class BearerTokenMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[]? _tokenHash;
    private readonly StreamCapability? _capability;

    public BearerTokenMiddleware(RequestDelegate next, MeshfleetSettings settings)
    {
        _next = next;
        if (settings.Token is { } token)
        {
            _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
            _capability = new StreamCapability(token);
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        if (_tokenHash is null || context.Request.Path.Equals("/healthz", StringComparison.Ordinal) || HasBearer(context.Request) || HasStreamCapability(context.Request))
        {
            return _next(context);
        }

        context.Response.Headers.WWWAuthenticate = "Bearer realm=\"meshfleet\"";
        return HttpErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthorized",
            "This Meshfleet requires 'Authorization: Bearer <token>' (the value of MESHFLEET_TOKEN on the server). " +
            "Stream URLs from subscribe_inbox carry their own capability and need no header.");
    }

    private bool HasBearer(HttpRequest request)
    {
        string? header = request.Headers.Authorization;
        if (header is null || !header.StartsWith("Bearer ", StringComparison.OrdinalIgnoreCase))
        {
            return false;
        }

        // Hashing first makes the comparison constant-time whatever the presented length.
        byte[] presented = SHA256.HashData(Encoding.UTF8.GetBytes(header.AsSpan(7).Trim().ToString()));
        return CryptographicOperations.FixedTimeEquals(presented, _tokenHash);
    }

    private bool HasStreamCapability(HttpRequest request)
    {
        if (request.RouteValues.TryGetValue("agent_id", out object? agent) && agent is string agentId)
        {
            return _capability!.Verify(agentId, request.Query[StreamCapability.QueryName]);
        }

        return false;
    }
}
