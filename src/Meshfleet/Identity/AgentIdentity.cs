using System.Security.Claims;
using Meshfleet.Configuration;
using Meshfleet.Core.Agents;
using Meshfleet.Core.Messaging;
using Meshfleet.Http;

namespace Meshfleet.Identity;

/// <summary>
/// Agent identity (<c>MESHFLEET_AGENT_IDENTITY</c>): who a caller is, from the key it presents, and whether it may act as
/// an agent. A stdio process is its bound agent when its <c>MESHFLEET_AGENT_KEY</c> is that agent's current key; an HTTP
/// client is the agent whose key it sends in <see cref="KeyHeader"/>. Off, every caller may act as every agent.
/// </summary>
public sealed class AgentIdentity
{
    /// <summary>The HTTP header carrying an agent key; the key alone says which agent it belongs to.</summary>
    public const string KeyHeader = "X-Meshfleet-Agent-Key";

    /// <summary>Optional HTTP header naming the agent: when present it must be the key's agent.</summary>
    public const string AgentHeader = "X-Meshfleet-Agent";

    /// <summary>The claim the HTTP layer gives a request that presented a valid key.</summary>
    public const string AgentClaim = "meshfleet_agent";

    private readonly MeshfleetSettings _settings;
    private readonly IAgentKeyStore _keys;
    private readonly TimeProvider _time;

    public AgentIdentity(MeshfleetSettings settings, IAgentKeyStore keys, TimeProvider time)
    {
        _settings = settings;
        _keys = keys;
        _time = time;
    }

    public bool Enabled => _settings.IdentityOn;

    /// <summary>The agent whose current key this is, or null (unknown, rotated, revoked or not a key).</summary>
    public async ValueTask<string?> AgentOfKeyAsync(string? key, CancellationToken cancellationToken) =>
        AgentKeys.LooksLikeKey(key) ? await _keys.FindAgentAsync(AgentKeys.Hash(key!), cancellationToken).ConfigureAwait(false) : null;

    /// <summary>A principal carrying the agent, for the HTTP request that proved it.</summary>
    /// <remarks>
    /// The name identifier is what the MCP SDK binds a stateful session to: a session begun with one agent's key cannot be
    /// continued with another's.
    /// </remarks>
    public static ClaimsPrincipal Principal(string agentId) =>
        new(new ClaimsIdentity([new Claim(AgentClaim, agentId), new Claim(ClaimTypes.NameIdentifier, "agent:" + agentId)], "meshfleet-agent-key"));

    /// <summary>
    /// The agent a tool call acts as: from <paramref name="user"/> over HTTP (null user: this stdio process's binding).
    /// Null when the caller proved no agent.
    /// </summary>
    public async ValueTask<string?> CallerAsync(ClaimsPrincipal? user, CancellationToken cancellationToken)
    {
        if (user is not null)
        {
            return user.FindFirst(AgentClaim)?.Value;
        }

        if (_settings.AgentId is not { } bound || _settings.AgentKey is not { } key)
        {
            return null;
        }

        // Checked on every call, not once at start: a rotated or revoked key stops working in running processes too.
        return await AgentOfKeyAsync(key, cancellationToken).ConfigureAwait(false) == bound ? bound : null;
    }

    /// <summary>Refuses, with how to fix it, a caller acting as <paramref name="agentId"/> without being it.</summary>
    public void Require(string? caller, string? agentId, string argument)
    {
        if (!Enabled || agentId is null || caller == agentId)
        {
            return;
        }

        throw new MeshInputException(caller is null ? NoKey(agentId, argument) : $"Refused: you are agent '{caller}' (by your key), so '{argument}' must be '{caller}', not '{agentId}'. Agent identity is on: an agent can act only as itself.");
    }

    /// <summary>Refuses a caller that is neither the sender nor the recipient of a message (get_message_status).</summary>
    public void RequireParty(string? caller, string fromAgentId, string toAgentId)
    {
        if (!Enabled || caller == fromAgentId || caller == toAgentId)
        {
            return;
        }

        throw new MeshInputException(caller is null
            ? "Refused: the status of a message is shown only to its sender or recipient, proved by that agent's key, because agent identity is on for this mesh. " + HowToPresent("<your agent>")
            : $"Refused: you are agent '{caller}' (by your key), and this message is neither from nor to you.");
    }

    /// <summary>
    /// Handles the key side of register_agent: returns a new key to show once (a new agent, or a rotation), or null.
    /// Refuses re-registering an agent that has a key without that key.
    /// </summary>
    public async ValueTask<string?> BeforeRegisterAsync(string agentId, string? caller, bool rotate, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return rotate
                ? throw new MeshInputException("rotate_key needs agent identity, which is off on this mesh (MESHFLEET_AGENT_IDENTITY=off, or no MESHFLEET_TOKEN): agents have no keys here.")
                : null;
        }

        byte[]? current = await _keys.GetKeyHashAsync(agentId, cancellationToken).ConfigureAwait(false);
        if (current is not null && caller != agentId)
        {
            throw new MeshInputException(caller is null
                ? $"Refused: agent '{agentId}' is registered with a key, and registering it again needs that key. {HowToPresent(agentId)} Lost the key? An operator can run 'meshfleet agent-key revoke {agentId}' on the server, then register again."
                : $"Refused: agent '{agentId}' is registered with its own key, and you are '{caller}'. Pick another agent_id.");
        }

        return current is null || rotate ? AgentKeys.NewKey() : null;
    }

    /// <summary>Stores the hash of a key from <see cref="BeforeRegisterAsync"/>; false when another caller claimed the agent first.</summary>
    public async ValueTask<bool> StoreKeyAsync(string agentId, string key, bool rotate, CancellationToken cancellationToken)
    {
        long now = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (rotate)
        {
            await _keys.ReplaceAsync(agentId, AgentKeys.Hash(key), now, cancellationToken).ConfigureAwait(false);
            return true;
        }

        return await _keys.ClaimAsync(agentId, AgentKeys.Hash(key), now, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>
    /// The stream capability of an agent: bound to the token and, with identity on, to the agent's current key, so a
    /// rotated or revoked key also ends the stream URLs issued under it. Null when neither a token nor a key protects it.
    /// </summary>
    public async ValueTask<string?> IssueCapabilityAsync(string agentId, CancellationToken cancellationToken) =>
        await CapabilityAsync(agentId, cancellationToken).ConfigureAwait(false) is { } capability ? capability.Issue(agentId) : null;

    public async ValueTask<bool> VerifyCapabilityAsync(string agentId, string? presented, CancellationToken cancellationToken) =>
        !string.IsNullOrEmpty(presented) && await CapabilityAsync(agentId, cancellationToken).ConfigureAwait(false) is { } capability && capability.Verify(agentId, presented);

    private async ValueTask<StreamCapability?> CapabilityAsync(string agentId, CancellationToken cancellationToken)
    {
        if (!Enabled)
        {
            return _settings.Token is { } token ? new StreamCapability(token) : null;
        }

        byte[]? keyHash = await _keys.GetKeyHashAsync(agentId, cancellationToken).ConfigureAwait(false);
        return keyHash is null ? null : new StreamCapability((_settings.Token ?? string.Empty) + "\nagent key " + Convert.ToHexString(keyHash));
    }

    private string NoKey(string agentId, string argument) =>
        $"Refused: acting as '{agentId}' ({argument}) needs that agent's key, because agent identity is on for this mesh. " + HowToPresent(agentId) +
        " No key yet? register_agent returns it once when it creates the agent.";

    private string HowToPresent(string agentId) => _settings.AgentId is null
        ? $"Over HTTP send the header {KeyHeader}: <key>; for a stdio server set MESHFLEET_AGENT_ID={agentId} and MESHFLEET_AGENT_KEY=<key>."
        : _settings.AgentKey is null
            ? $"This process is bound to '{_settings.AgentId}' but has no key: set MESHFLEET_AGENT_KEY to the agent_key register_agent returned."
            : $"This process's MESHFLEET_AGENT_KEY is not the current key of '{_settings.AgentId}' (mistyped, rotated or revoked).";
}
