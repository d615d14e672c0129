using System.Net;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>An Origin is accepted only with a host spelling the Host check accepts, never a normalised look-alike.</summary>
public sealed class OriginSpellingTests
{
    [Fact]
    public async Task Origin_accepts_only_the_host_spellings_that_host_accepts()
    {
        await using var scope = new MeshScope();
        await scope.StartHubAsync();
        string[] lookAlikes = ["127.1", "2130706433", "0x7f000001", "127.0.0.01", "[0:0:0:0:0:0:0:1]", "localhost."];
        foreach (string host in lookAlikes)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(scope, host: $"{host}:{scope.Port}", origin: null));
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(scope, host: null, origin: $"http://{host}:{scope.Port}"));
        }

        string[] malformed = ["http://127.0.0.1/path", "http://user@127.0.0.1", "http://127.0.0.1:port", "ftp://127.0.0.1", "null", "http://"];
        foreach (string origin in malformed)
        {
            Assert.Equal(HttpStatusCode.Forbidden, await StatusAsync(scope, host: null, origin: origin));
        }

        foreach (string origin in new[] { "http://127.0.0.1", $"http://localhost:{scope.Port}", $"https://[::1]:{scope.Port}" })
        {
            Assert.Equal(HttpStatusCode.OK, await StatusAsync(scope, host: null, origin: origin));
        }
    }

    private static async Task<HttpStatusCode> StatusAsync(MeshScope scope, string? host, string? origin)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, "/healthz");
        if (host is not null)
        {
            request.Headers.Host = host;
        }

        if (origin is not null)
        {
            request.Headers.TryAddWithoutValidation("Origin", origin);
        }

        using HttpResponseMessage response = await scope.Http.SendAsync(request, scope.Timeout);
        return response.StatusCode;
    }
}
