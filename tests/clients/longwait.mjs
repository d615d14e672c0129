// (e) A long wait through OpenCode, whose tool calls are cut off at the per-server `timeout` (60 s by default), with
// the README's settings, at 1/20 scale so CI stays short: OpenCode's timeout 3 s (README: 60 s), MESHFLEET_MAX_WAIT_SECONDS
// 2 (README: 50), and the answer comes after 30 s (a 10-minute wait). The asker's model calls `ask` and, each time a
// call ends early, makes exactly the call the result tells it to make, until the answer is there.
import { spawnSync } from "node:child_process";
import { connect } from "./mcp.mjs";
import { startOneShot } from "./clients.mjs";
import path from "node:path";

const SCALE = 20;
const CLIENT_TIMEOUT_MS = 60_000 / SCALE;
const MAX_WAIT_SECONDS = 2; // 50 s / 20 = 2.5, and the setting is whole seconds
const ANSWER_AFTER_MS = 600_000 / SCALE;

/**
 * The call a result tells the model to make next, as a model would read it: its note says "call ask with {...}" or
 * "call get_inbox {...}"; failing that, the first object in it with a tool name and its arguments.
 */
export function nextCall(text) {
  let json;
  try { json = JSON.parse(text); } catch { return null; }
  const said = /call (\w+) (?:with )?(\{[^{}]*\})/.exec(json?.note ?? "");
  if (said) { try { return { tool: said[1], args: JSON.parse(said[2]) }; } catch { /* not JSON after all */ } }
  const seen = [json];
  while (seen.length) {
    const o = seen.shift();
    if (!o || typeof o !== "object") continue;
    const tool = o.tool ?? o.name;
    const args = o.arguments ?? o.args;
    if (typeof tool === "string" && args && typeof args === "object") return { tool, args };
    seen.push(...Object.values(o));
  }
  return null;
}

async function longWait(ctx) {
  const help = spawnSync(ctx.mfBin, ["--help"], { encoding: "utf8" }).stdout;
  if (!help.includes("MESHFLEET_MAX_WAIT_SECONDS")) return { skip: "this meshfleet build has no MESHFLEET_MAX_WAIT_SECONDS (waits are not sliced)" };
  const asker = "ana", answerer = "ben";
  ctx.mesh.extraEnv = { MESHFLEET_MAX_WAIT_SECONDS: String(MAX_WAIT_SECONDS) };
  ctx.model.script(asker, (t) => {
    if (t.results.length === 0) return { tool: "ask", args: { from_agent_id: asker, to_agent_id: answerer, payload: "LONG question", timeout_seconds: 900 / SCALE * 2 } };
    const last = t.results.at(-1).text;
    if (last.includes("LONG answer")) return { text: "got the answer" };
    if (t.results.length > 60) return { text: "gave up: too many calls" };
    const next = nextCall(last);
    return next ?? { text: `gave up: no way to keep waiting in ${last.slice(0, 300)}` };
  });
  const b = await connect(ctx.mfBin, { MESHFLEET_DB: ctx.mesh.db, MESHFLEET_SSE_PORT: String(ctx.mesh.port), MESHFLEET_AGENT_ID: answerer }, path.join(ctx.work, "answerer.log"));
  ctx.cleanup.push(() => b.close());
  await b.call("register_agent", { agent_id: answerer, role: "slow answerer" }); // an ask to an agent nobody knows fails at once
  const h = startOneShot("opencode", ctx, asker, "Your agent id is ana. Ask ben and wait for the answer, however long it takes.", { timeoutMs: CLIENT_TIMEOUT_MS });
  let since = 0, question;
  while (!question) {
    const page = await b.call("get_inbox", { agent_id: answerer, since, wait_seconds: MAX_WAIT_SECONDS });
    question = page.messages.find((m) => m.payload === "LONG question");
    since = page.next_since ?? since;
  }
  const asked = performance.now();
  await new Promise((r) => setTimeout(r, ANSWER_AFTER_MS)); // the answerer takes its time: that is the scenario
  await b.call("reply", { from_agent_id: answerer, message_id: question.message_id, payload: "LONG answer" });
  const { code } = await h.done;
  const results = ctx.model.turns.filter((t) => t.agent === asker).at(-1)?.results ?? []; // the last request holds the whole history
  const errors = results.filter((r) => /-32001|timed out|Request timed out/i.test(r.text));
  if (errors.length) throw new Error(`a tool call was cut off: ${errors[0].text.slice(0, 200)}`);
  if (!results.some((r) => r.text.includes("LONG answer"))) throw new Error(`the answer never reached the model (exit ${code}); last result: ${results.at(-1)?.text.slice(0, 300)}`);
  const calls = results.length;
  if (calls < 3) throw new Error(`expected several slices of at most ${MAX_WAIT_SECONDS} s, saw ${calls} call(s)`);
  return { info: `(${calls} calls over ${((performance.now() - asked) / 1000).toFixed(0)} s; scale 1/${SCALE}: OpenCode timeout ${CLIENT_TIMEOUT_MS} ms, MESHFLEET_MAX_WAIT_SECONDS=${MAX_WAIT_SECONDS})` };
}

export const longWaitScenario = { name: "opencode long-wait (10 min at 1/20 scale)", timeoutMs: 150_000, run: longWait };
