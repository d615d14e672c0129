using System.Security.Cryptography;
using System.Text;
using Meshfleet.Configuration;
using Meshfleet.Identity;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// When a token is set, every endpoint but /healthz needs <c>Authorization: Bearer &lt;token&gt;</c>; an inbox stream
/// (or a page of it, GET /inbox/{agent_id}/messages) also opens with a capability for that agent (<c>?cap=</c>, as
/// returned by subscribe_inbox). With agent identity on, a request may carry an agent key
/// (<see cref="AgentIdentity.KeyHeader"/>), which makes it that agent, and an inbox is read only by its own agent: with
/// that agent's key or capability, never with the token alone.
/// </summary>
internal sealed class BearerTokenMiddleware
{
    private readonly RequestDelegate _next;
    private readonly byte[]? _tokenHash;
    private readonly AgentIdentity _identity;

    public BearerTokenMiddleware(RequestDelegate next, MeshfleetSettings settings, AgentIdentity identity)
    {
        _next = next;
        _identity = identity;
        if (settings.Token is { } token)
        {
            _tokenHash = SHA256.HashData(Encoding.UTF8.GetBytes(token));
        }
    }

    public Task InvokeAsync(HttpContext context) =>
        (_tokenHash is null && !_identity.Enabled) || context.Request.Path.Equals("/healthz", StringComparison.Ordinal)
            ? _next(context) // nothing to check: no async frame of ours on every request
            : CheckAsync(context);

    private async Task CheckAsync(HttpContext context)
    {

        // Reading an inbox (its stream, or a page of it) is the agent's own business; posting into one is the sender's,
        // which the endpoint checks against from_agent_id.
        string? streamAgent = HttpMethods.IsGet(context.Request.Method) && context.Request.RouteValues.TryGetValue("agent_id", out object? route) ? route as string : null;
        bool capability = streamAgent is not null && await _identity.VerifyCapabilityAsync(streamAgent, context.Request.Query[StreamCapability.QueryName], context.RequestAborted);
        if (_tokenHash is not null && !capability && !HasBearer(context.Request))
        {
            context.Response.Headers.WWWAuthenticate = "Bearer realm=\"meshfleet\"";
            await HttpErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "unauthorized",
                "This Meshfleet requires 'Authorization: Bearer <token>' (the value of MESHFLEET_TOKEN on the server). " +
                "Stream URLs from subscribe_inbox carry their own capability and need no header.");
            return;
        }

        if (!_identity.Enabled)
        {
            await _next(context);
            return;
        }

        string? key = context.Request.Headers[AgentIdentity.KeyHeader];
        string? agent = null;
        if (!string.IsNullOrEmpty(key))
        {
            agent = await _identity.AgentOfKeyAsync(key.Trim(), context.RequestAborted);
            string? named = context.Request.Headers[AgentIdentity.AgentHeader];
            if (agent is null || (!string.IsNullOrEmpty(named) && named != agent))
            {
                await HttpErrors.WriteAsync(context, StatusCodes.Status401Unauthorized, "unknown_agent_key",
                    agent is null
                        ? $"{AgentIdentity.KeyHeader} is not the current key of any agent (mistyped, rotated or revoked). Use the agent_key register_agent returned last."
                        : $"{AgentIdentity.KeyHeader} is the key of another agent than {AgentIdentity.AgentHeader} names. Send the key of the agent you act as.");
                return;
            }

            context.User = AgentIdentity.Principal(agent);
        }

        if (streamAgent is not null && !capability && agent != streamAgent)
        {
            await HttpErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "not_this_agent",
                $"Agent identity is on: the inbox of '{streamAgent}' (its stream and its messages) is read only with that agent's key ({AgentIdentity.KeyHeader}) or the stream_url subscribe_inbox returns to it.");
            return;
        }

        await _next(context);
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
}
