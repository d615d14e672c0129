using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Core.Tests;

/// <summary>The system sender is reserved in every spelling, so no agent can forge a look-alike system notice.</summary>
public sealed class ReservedIdentityTests
{
    [Theory]
    [InlineData("meshfleet")]
    [InlineData("Meshfleet")]
    [InlineData("MESHFLEET")]
    [InlineData("meshFleet")]
    public async Task System_id_in_any_case_cannot_send_register_heartbeat_or_broadcast(string spelling)
    {
        await using MeshHarness mesh = await MeshHarness.StartAsync();
        await mesh.Agents.RegisterAsync("member", null, null, null, "crew", mesh.Timeout);

        MeshInputException send = await Assert.ThrowsAsync<MeshInputException>(() => mesh.SendAsync(spelling, "member", "official notice"));
        Assert.Contains("reserved", send.Message, StringComparison.Ordinal);
        Assert.Contains("reserved", (await Assert.ThrowsAsync<MeshInputException>(() => mesh.Agents.RegisterAsync(spelling, null, null, null, null, mesh.Timeout).AsTask())).Message, StringComparison.Ordinal);
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Agents.HeartbeatAsync(spelling, mesh.Timeout).AsTask());
        await Assert.ThrowsAsync<MeshInputException>(() => mesh.Mesh.BroadcastAsync(spelling, "crew", "official notice", mesh.Timeout).AsTask());

        Assert.Empty((await mesh.Mesh.GetInboxAsync("member", 0, null, mesh.Timeout)).Messages);
    }
}
