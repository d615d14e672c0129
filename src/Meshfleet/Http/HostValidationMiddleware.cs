using System.Buffers;
using Meshfleet.Configuration;
using Microsoft.AspNetCore.Http;

namespace Meshfleet.Http;

/// <summary>
/// Refuses requests whose Host or Origin is not this server's (loopback names, the bound address and configured names),
/// which closes DNS rebinding: a web page can make a browser send requests here, but not with our Host and its Origin.
/// </summary>
internal sealed class HostValidationMiddleware
{
    private static readonly SearchValues<char> NotInAuthority = SearchValues.Create("/?#@\\ ");
    private readonly RequestDelegate _next;
    private readonly HashSet<string> _allowed;

    public HostValidationMiddleware(RequestDelegate next, MeshfleetSettings settings)
    {
        _next = next;
        _allowed = new HashSet<string>(StringComparer.OrdinalIgnoreCase) { "localhost", "127.0.0.1", "::1", "[::1]" };
        if (settings.SseHost is not ("0.0.0.0" or "::"))
        {
            _allowed.Add(settings.SseHost);
        }

        foreach (string host in settings.AllowedHosts)
        {
            _allowed.Add(host);
        }
    }

    public Task InvokeAsync(HttpContext context)
    {
        string host = context.Request.Host.Host;
        if (!_allowed.Contains(host))
        {
            return HttpErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "forbidden_host",
                $"Host '{host}' is not accepted. Use 127.0.0.1 or localhost, or add the name to MESHFLEET_ALLOWED_HOSTS.");
        }

        string? origin = context.Request.Headers.Origin;
        if (!string.IsNullOrEmpty(origin) && !IsAllowedOrigin(origin))
        {
            return HttpErrors.WriteAsync(context, StatusCodes.Status403Forbidden, "forbidden_origin",
                $"Origin '{origin}' is not accepted: browsers on other sites may not reach the mesh. Add the host to MESHFLEET_ALLOWED_HOSTS if it is yours.");
        }

        return _next(context);
    }

    /// <summary>
    /// An Origin is <c>scheme://host[:port]</c>, and its host is compared as spelled, exactly as the Host header is:
    /// <see cref="Uri"/> would normalise <c>127.1</c>, <c>2130706433</c> or <c>[0:0:0:0:0:0:0:1]</c> into an allowed name.
    /// </summary>
    private bool IsAllowedOrigin(string origin)
    {
        int schemeEnd = origin.IndexOf("://", StringComparison.Ordinal);
        if (schemeEnd < 0 || origin.AsSpan(0, schemeEnd) is not ("http" or "https"))
        {
            return false;
        }

        string authority = origin[(schemeEnd + 3)..];
        if (authority.Length == 0 || authority.AsSpan().IndexOfAny(NotInAuthority) >= 0)
        {
            return false;
        }

        HostString host = new(authority);
        bool portIsValid = host.Port is not null || authority.Length == host.Host.Length;
        return portIsValid && _allowed.Contains(host.Host);
    }
}
