// What the fake model "decides", turn by turn: each script looks only at the conversation the client sent.

export const PAYLOAD = "日本語 <b>&</b>";
const MAX_STEPS = 8; // a runaway loop ends in text rather than calling tools forever

export const idOf = (text) => /"message_id"\s*:\s*"(msg_[0-9a-fA-F]+)"/.exec(text ?? "")?.[1];
const named = (r, tool) => (r.name ?? "").endsWith(tool);

/** Agent A: one `ask`, then a closing text that quotes what came back. */
export function asker(from, to, payload, timeoutSeconds = 60) {
  return (t) => {
    if (t.results.length === 0) return { tool: "ask", args: { from_agent_id: from, to_agent_id: to, payload, timeout_seconds: timeoutSeconds } };
    return { text: "asked; got: " + t.results.at(-1).text.slice(0, 200) };
  };
}

/** Agent B: long-poll its inbox until a question arrives, reply to it, then stop. */
export function replier(me, answer, waitSeconds = 30) {
  return (t) => {
    if (t.results.some((r) => named(r, "reply"))) return { text: "replied" };
    if (t.results.length >= MAX_STEPS) return { text: "gave up" };
    const last = t.results.at(-1);
    const id = last && idOf(last.text);
    if (id) return { tool: "reply", args: { from_agent_id: me, message_id: id, payload: answer } };
    const since = last && /"next_since"\s*:\s*(\d+)/.exec(last.text)?.[1];
    return { tool: "get_inbox", args: { agent_id: me, wait_seconds: waitSeconds, ...(since ? { since: Number(since) } : {}) } };
  };
}

/** An idle agent woken by the mesh: every new turn that carries a message gets a plain answer, no tool call. */
export function idle() {
  return () => ({ text: "noted" });
}
