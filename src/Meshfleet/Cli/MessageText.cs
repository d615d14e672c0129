using System.Globalization;
using System.Text;
using Meshfleet.Core.Messaging;

namespace Meshfleet.Cli;

/// <summary>How a followed message is written for a person (one line), a script (JSON) or a model (a prompt that says how to answer).</summary>
internal static class MessageText
{
    /// <summary>One line for a terminal: time (UTC), sender, thread, id and payload, newlines escaped so one message is one line.</summary>
    public static string Line(MeshMessage message)
    {
        string time = DateTimeOffset.FromUnixTimeMilliseconds(message.Timestamp).UtcDateTime.ToString("yyyy-MM-dd HH:mm:ss'Z'", CultureInfo.InvariantCulture);
        string thread = message.ThreadId is null ? string.Empty : $" thread={message.ThreadId}";
        return $"{time} from={message.FromAgentId} to={message.ToAgentId}{thread} id={message.MessageId} seq={message.Seq}: {OneLine(message.Payload)}";
    }

    /// <summary>
    /// What a model reads when a message wakes it: who sent what, in which thread, and the exact call that answers it.
    /// With <paramref name="oneLine"/> the payload's newlines are escaped, so a Claude Code monitor turns it into exactly
    /// one notification; a bridge passes the payload as it is.
    /// </summary>
    public static string Prompt(MeshMessage message, bool oneLine)
    {
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"[meshfleet] New message for agent '{message.ToAgentId}' from '{message.FromAgentId}' (message_id {message.MessageId}");
        if (message.ThreadId is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", thread {message.ThreadId}");
        }

        if (message.ReplyTo is not null)
        {
            text.Append(CultureInfo.InvariantCulture, $", in reply to {message.ReplyTo}");
        }

        text.Append(CultureInfo.InvariantCulture, $", seq {message.Seq}):");
        text.Append(oneLine ? " " + OneLine(message.Payload) + " -- " : "\n\n" + message.Payload + "\n\n");
        text.Append(CultureInfo.InvariantCulture, $"To answer, call the meshfleet tool reply with message_id \"{message.MessageId}\" and your answer as payload (from_agent_id \"{message.ToAgentId}\").");
        return text.ToString();
    }

    private static string OneLine(string payload) => payload
        .Replace("\\", "\\\\", StringComparison.Ordinal)
        .Replace("\r", "\\r", StringComparison.Ordinal)
        .Replace("\n", "\\n", StringComparison.Ordinal);
}
