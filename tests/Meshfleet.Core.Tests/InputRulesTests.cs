using CsCheck;
using Meshfleet.Core.Messaging;
using Xunit;

namespace Meshfleet.Core.Tests;

public sealed class InputRulesTests
{
    private const string IdChars = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._-";

    [Theory]
    [InlineData("../x", "'/'")]
    [InlineData("has space", "a space")]
    [InlineData("..", "cannot be")]
    [InlineData(".", "cannot be")]
    [InlineData("", "is required")]
    [InlineData(null, "is required")]
    public void Invalid_agent_ids_are_refused_with_the_reason(string? id, string reason)
    {
        MeshInputException error = Assert.Throws<MeshInputException>(() => InputRules.AgentId(id, "to_agent_id"));
        Assert.Contains("to_agent_id", error.Message, StringComparison.Ordinal);
        Assert.Contains(reason, error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Sixty_five_characters_is_one_too_many()
    {
        Assert.Equal(new string('a', 64), InputRules.AgentId(new string('a', 64), "agent_id"));
        MeshInputException error = Assert.Throws<MeshInputException>(() => InputRules.AgentId(new string('a', 65), "agent_id"));
        Assert.Contains("at most 64", error.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void Any_id_of_allowed_characters_and_length_is_accepted_except_dot_names()
    {
        Gen.Char[IdChars].Array[1, 64].Select(chars => new string(chars)).Sample(id =>
        {
            if (id is "." or "..")
            {
                Assert.Throws<MeshInputException>(() => InputRules.AgentId(id, "agent_id"));
            }
            else
            {
                Assert.Equal(id, InputRules.AgentId(id, "agent_id"));
            }
        });
    }

    [Fact]
    public void Any_id_with_a_character_outside_the_set_is_refused()
    {
        Gen.Select(Gen.Char[IdChars].Array[0, 30], Gen.Char.Where(c => !IdChars.Contains(c)), Gen.Char[IdChars].Array[0, 30])
            .Select((a, bad, b) => new string(a) + bad + new string(b))
            .Sample(id => Assert.Throws<MeshInputException>(() => InputRules.AgentId(id, "agent_id")));
    }

    [Fact]
    public void Payload_limit_counts_utf8_bytes()
    {
        var limits = new MeshLimits { MaxPayloadBytes = 10 };
        Assert.Equal("0123456789", InputRules.Payload("0123456789", limits));
        MeshInputException error = Assert.Throws<MeshInputException>(() => InputRules.Payload("ééééééé", limits));
        Assert.Contains("14 bytes", error.Message, StringComparison.Ordinal);
        Assert.Throws<MeshInputException>(() => InputRules.Payload(string.Empty, limits));
    }

    [Fact]
    public void Cursor_and_limit_ranges_are_checked()
    {
        Assert.Equal(0, InputRules.Cursor(null, "since"));
        Assert.Throws<MeshInputException>(() => InputRules.Cursor(-1, "since"));
        Assert.Equal(MeshLimits.DefaultInboxPage, InputRules.Limit(null));
        Assert.Throws<MeshInputException>(() => InputRules.Limit(0));
        Assert.Throws<MeshInputException>(() => InputRules.Limit(MeshLimits.MaxInboxPage + 1));
    }
}
