namespace Meshfleet.EndToEnd.Tests;

/// <summary>The outcome of one run of a meshfleet command: exit code and everything it printed.</summary>
internal sealed record CliRun(int ExitCode, string Stdout, string Stderr);
