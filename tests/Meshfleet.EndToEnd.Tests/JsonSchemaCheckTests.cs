using System.Text.Json;
using Xunit;

namespace Meshfleet.EndToEnd.Tests;

/// <summary>The schema check that <see cref="StructuredOutputTests"/> relies on catches each kind of mismatch it claims to.</summary>
public sealed class JsonSchemaCheckTests
{
    private const string Schema = """
        {"type":"object","properties":{
        "id":{"type":"string","pattern":"^m_[0-9]+$"},
        "seq":{"type":"integer","minimum":1},
        "status":{"type":"string","enum":["stored","read"]},
        "read_at":{"type":["integer","null"]},
        "tags":{"type":"array","items":{"type":"object","properties":{"name":{"type":"string"}},"required":["name"]}}},
        "required":["id","seq"]}
        """;

    [Fact]
    public void A_conforming_value_has_no_violations_open_or_closed()
    {
        const string value = """{"id":"m_1","seq":1,"status":"read","read_at":null,"tags":[{"name":"x"}]}""";
        Assert.Empty(Check(Schema, value, closed: true));
        Assert.Empty(Check(Schema, """{"id":"m_2","seq":2.0,"read_at":5}""", closed: true));
    }

    [Theory]
    [InlineData("""{"id":"m_1"}""", "$: required property 'seq' is missing")]
    [InlineData("""{"id":"m_1","seq":"1"}""", "$.seq: String \"1\" is not of type integer")]
    [InlineData("""{"id":"m_1","seq":1.5}""", "$.seq: Number 1.5 is not of type integer")]
    [InlineData("""{"id":"m_1","seq":0}""", "$.seq: 0 is below the minimum 1")]
    [InlineData("""{"id":"x","seq":1}""", "$.id: \"x\" does not match ^m_[0-9]+$")]
    [InlineData("""{"id":"m_1","seq":1,"status":"lost"}""", "$.status: \"lost\" is not one of [\"stored\",\"read\"]")]
    [InlineData("""{"id":"m_1","seq":1,"read_at":"soon"}""", "$.read_at: String \"soon\" is not of type integer or null")]
    [InlineData("""{"id":"m_1","seq":1,"tags":[{"name":"a"},{}]}""", "$.tags[1]: required property 'name' is missing")]
    [InlineData("""{"id":"m_1","seq":null}""", "$.seq: Null null is not of type integer")]
    public void Each_kind_of_mismatch_is_reported_with_its_path(string value, string expected)
    {
        Assert.Equal([expected], Check(Schema, value, closed: false));
    }

    [Fact]
    public void An_undeclared_property_fails_only_a_closed_check_or_additional_properties_false()
    {
        const string value = """{"id":"m_1","seq":1,"extra":true}""";
        Assert.Empty(Check(Schema, value, closed: false));
        Assert.Equal(["$.extra: returned (true) but not declared in the schema's properties"], Check(Schema, value, closed: true));
        Assert.Equal(
            ["$.extra: not declared, and the schema has additionalProperties: false"],
            Check("""{"type":"object","properties":{"id":{"type":"string"}},"additionalProperties":false}""", """{"id":"a","extra":1}""", closed: false));
        Assert.Empty(Check("""{"type":"object","properties":{},"additionalProperties":{"type":"integer"}}""", """{"n":1}""", closed: true));
    }

    [Fact]
    public void A_keyword_outside_the_supported_subset_or_an_undeclared_required_name_is_a_violation()
    {
        Assert.Equal(["$: schema keyword 'oneOf' is not supported by this check"], Check("""{"oneOf":[{"type":"string"}]}""", "\"a\"", closed: false));
        Assert.Contains(
            "$: the schema requires 'b' but does not declare it in properties",
            Check("""{"type":"object","properties":{"a":{"type":"string"}},"required":["b"]}""", """{"a":"x","b":"y"}""", closed: false));
    }

    private static IReadOnlyList<string> Check(string schema, string value, bool closed)
    {
        using JsonDocument schemaDocument = JsonDocument.Parse(schema);
        using JsonDocument valueDocument = JsonDocument.Parse(value);
        return JsonSchemaCheck.Violations(schemaDocument.RootElement, valueDocument.RootElement, closed);
    }
}
