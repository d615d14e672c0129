using System.Globalization;
using Meshfleet.Core.Delivery;
using Meshfleet.Core.Messaging;
using Meshfleet.Core.Streaming;
using Meshfleet.Storage.Sqlite;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>
/// Each default is written once, in the feature's options type: --help must print exactly those values, so a literal
/// re-added elsewhere (the settings record, the catalog) that drifts from the options fails here.
/// </summary>
public sealed class SettingsDefaultsTests
{
    [Fact]
    public async Task Help_prints_the_defaults_of_the_feature_options()
    {
        await using var scope = new MeshScope();
        CliRun help = await MeshfleetBinary.RunAsync(scope.Environment, scope.Timeout, "--help");
        Assert.Equal(0, help.ExitCode);

        var streams = new StreamHubOptions();
        var retry = new RetryPolicy();
        var sqlite = new SqliteStoreOptions { Path = "unused" };
        AssertDefault(help.Stdout, "--max-streams-per-agent", "MESHFLEET_MAX_STREAMS_PER_AGENT", streams.MaxStreamsPerAgent);
        AssertDefault(help.Stdout, "--max-streams", "MESHFLEET_MAX_STREAMS", streams.MaxStreams);
        AssertDefault(help.Stdout, "--subscriber-buffer", "MESHFLEET_SUBSCRIBER_BUFFER", streams.SubscriberBuffer);
        AssertDefault(help.Stdout, "--subscriber-buffer-bytes", "MESHFLEET_SUBSCRIBER_BUFFER_BYTES", streams.SubscriberBufferBytes);
        AssertDefault(help.Stdout, "--max-payload-bytes", "MESHFLEET_MAX_PAYLOAD_BYTES", new MeshLimits().MaxPayloadBytes);
        AssertDefault(help.Stdout, "--ack-base-ms", "MESHFLEET_ACK_BASE_MS", retry.BaseDelay.TotalMilliseconds);
        AssertDefault(help.Stdout, "--ack-max-attempts", "MESHFLEET_ACK_MAX_ATTEMPTS", retry.MaxAttempts);
        AssertDefault(help.Stdout, "--poll-ms", "MESHFLEET_POLL_MS", sqlite.PollInterval.TotalMilliseconds);
        AssertDefault(help.Stdout, "--log-level", "MESHFLEET_LOG_LEVEL", "information");
    }

    [Fact]
    public async Task Bad_log_level_fails_fast_naming_the_setting_and_the_choices()
    {
        await using var scope = new MeshScope();
        var environment = new Dictionary<string, string>(scope.Environment) { ["MESHFLEET_LOG_LEVEL"] = "loud" };
        CliRun run = await MeshfleetBinary.RunAsync(environment, scope.Timeout);
        Assert.Equal(2, run.ExitCode);
        Assert.Contains("MESHFLEET_LOG_LEVEL / --log-level is 'loud'; use trace, debug, information, warning, error or none", run.Stderr, StringComparison.Ordinal);
    }

    private static void AssertDefault(string help, string flag, string variable, object expected)
    {
        string value = Convert.ToString(expected, CultureInfo.InvariantCulture)!;
        Assert.Matches($@"(?m)^\s+{flag}\s+{variable}\s+default {value}$", help);
    }
}
