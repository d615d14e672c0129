namespace Meshfleet.Configuration;

/// <summary>One setting: its variable, its flag, its default and how it applies to <see cref="MeshfleetSettings"/>.</summary>
internal sealed record SettingDefinition(
    string Variable,
    string Flag,
    string Default,
    string Help,
    Func<MeshfleetSettings, string, MeshfleetSettings> Apply);
