namespace Meshfleet.Json;

/// <summary>The body of every HTTP error: a short code and a sentence on what was wrong and how to fix it.</summary>
public sealed record HttpError(string Error, string Detail);
