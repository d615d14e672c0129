namespace Meshfleet.Cli.Doctor;

/// <summary>The lines <c>meshfleet doctor</c> prints: each check's finding, and for a problem what to do about it.</summary>
internal sealed class DoctorReport
{
    private readonly TextWriter _output;

    public DoctorReport(TextWriter output)
    {
        _output = output;
    }

    /// <summary>How many problems were reported; any makes the exit code 1.</summary>
    public int Problems { get; private set; }

    public Task OkAsync(string area, string finding) => _output.WriteLineAsync($"ok    {area}: {finding}");

    public Task NoteAsync(string area, string finding) => _output.WriteLineAsync($"note  {area}: {finding}");

    public Task ProblemAsync(string area, string finding, string fix)
    {
        Problems++;
        return _output.WriteLineAsync($"FIX   {area}: {finding}\n      -> {fix}");
    }
}
