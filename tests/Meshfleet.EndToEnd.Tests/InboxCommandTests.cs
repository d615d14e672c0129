using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// <c>meshfleet inbox</c>, the one-shot a Gemini CLI hook runs at a turn boundary: it prints what arrived since its last
/// run in the JSON the hook event expects, once, and <c>{}</c> when nothing did.
/// </summary>
public sealed class InboxCommandTests
{
    [Fact]
    public async Task Inbox_hook_hands_each_new_message_to_the_model_once_and_otherwise_prints_an_empty_object()
    {
        await using var scope = new MeshScope();
        MeshNode hub = await scope.StartHubAsync();
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_AGENT_ID"] = "reviewer" };
        await hub.SendAsync("lead", "reviewer", "before the first run");

        CliRun first = await MeshfleetBinary.RunAsync(environment, scope.Timeout, "inbox", "--hook", "AfterAgent");
        Assert.Equal(0, first.ExitCode);
        Assert.Equal("{}", first.Stdout.Trim());

        JsonElement receipt = await hub.SendAsync("lead", "reviewer", "日本語 <b>&</b>\nsecond line");
        CliRun woken = await MeshfleetBinary.RunAsync(environment, scope.Timeout, "inbox", "--hook", "AfterAgent");
        using JsonDocument deny = JsonDocument.Parse(woken.Stdout);
        Assert.Equal("deny", deny.RootElement.GetProperty("decision").GetString());
        string reason = deny.RootElement.GetProperty("reason").GetString()!;
        Assert.Contains("日本語 <b>&</b>\nsecond line", reason, StringComparison.Ordinal);
        Assert.Contains($"message_id \"{receipt.GetProperty("message_id").GetString()}\"", reason, StringComparison.Ordinal);
        Assert.DoesNotContain("before the first run", reason, StringComparison.Ordinal);
        Assert.Contains("日本語", woken.Stdout, StringComparison.Ordinal);

        CliRun again = await MeshfleetBinary.RunAsync(environment, scope.Timeout, "inbox", "--hook", "BeforeAgent");
        Assert.Equal("{}", again.Stdout.Trim());

        await hub.SendAsync("lead", "reviewer", "third");
        CliRun context = await MeshfleetBinary.RunAsync(environment, scope.Timeout, "inbox", "--hook", "BeforeAgent");
        using JsonDocument added = JsonDocument.Parse(context.Stdout);
        JsonElement output = added.RootElement.GetProperty("hookSpecificOutput");
        Assert.Equal("BeforeAgent", output.GetProperty("hookEventName").GetString());
        Assert.Contains("third", output.GetProperty("additionalContext").GetString()!, StringComparison.Ordinal);
    }
}
