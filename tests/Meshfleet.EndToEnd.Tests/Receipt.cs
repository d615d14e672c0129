using System.Text.Json;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>What send_message acknowledged: the stored message's id, seq and timestamp.</summary>
internal sealed record Receipt(string MessageId, long Seq, long Timestamp)
{
    public static Receipt Of(JsonElement result) => new(
        result.GetProperty("message_id").GetString()!,
        result.GetProperty("seq").GetInt64(),
        result.GetProperty("timestamp").GetInt64());
}
