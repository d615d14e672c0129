using System.Diagnostics;
using System.Globalization;
using System.Net.Http.Json;
using System.Text.Json;

namespace Meshfleet.Bench;

/// <summary>Cold start (spawn to answered tools/list) and idle memory of the hub process.</summary>
internal static class StartupScenario
{
    public static async Task RunAsync(string binary, int runs)
    {
        string directory = Directory.CreateTempSubdirectory("meshfleet-bench-").FullName;
        var times = new List<double>();
        long idleRssKb = 0;
        try
        {
            for (int i = 0; i < runs; i++)
            {
                int port = BenchNode.FreePort();
                var clock = Stopwatch.StartNew();
                await using BenchNode node = await BenchNode.StartAsync(binary, Path.Combine(directory, $"s{i}.db"), port);
                await node.Client.ListToolsAsync();
                times.Add(clock.Elapsed.TotalMilliseconds);
                if (i == runs - 1)
                {
                    await node.Listening;
                    using var http = new HttpClient();
                    JsonElement health = await http.GetFromJsonAsync<JsonElement>($"http://127.0.0.1:{port}/healthz");
                    int pid = health.GetProperty("pid").GetInt32();
                    await Task.Delay(TimeSpan.FromSeconds(2));
                    idleRssKb = ReadRssKb(pid);
                }
            }
        }
        finally
        {
            Directory.Delete(directory, recursive: true);
        }

        times.Sort();
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"cold start (spawn -> tools/list answered), {runs} runs: p50 {BenchNode.Percentile(times, 50):F0} ms, min {times[0]:F0} ms, max {times[^1]:F0} ms"));
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"idle RSS of a hub process: {idleRssKb / 1024.0:F1} MiB"));
    }

    private static long ReadRssKb(int pid)
    {
        foreach (string line in File.ReadLines($"/proc/{pid}/status"))
        {
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
            {
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
            }
        }

        return 0;
    }
}
