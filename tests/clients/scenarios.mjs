// The scenarios: each runs real clients against a real mesh and asserts on what the fake model was sent.
import path from "node:path";
import { startOneShot, resultsOf } from "./clients.mjs";
import { connect } from "./mcp.mjs";
import { PAYLOAD, asker, replier } from "./scripts.mjs";
import { wakeScenarios } from "./wake.mjs";
import { hookScenarios } from "./hooks.mjs";

async function exitedOk(h, who) {
  const { code, signal } = await h.done;
  if (code !== 0) throw new Error(`${who} exited with ${code ?? signal}: ${h.log().trim().split("\n").slice(-3).join(" | ")}`);
}

const exchanges = new Map(); // client -> {bobSaw, aliceSaw}: scenario (b) reads what (a) recorded

/** Two agents in two processes of the same client: A asks, B long-polls its inbox and replies. */
async function askReply(client, ctx) {
  if (exchanges.has(client)) return exchanges.get(client);
  const a = `alice-${client}`, b = `bob-${client}`;
  ctx.model.script(b, replier(b, `ANSWER ${PAYLOAD}`));
  ctx.model.script(a, asker(a, b, `QUESTION ${PAYLOAD}`));
  // B registers first, as the README's walkthrough has it: an ask to an agent nobody knows yet fails at once.
  const reg = await connect(ctx.mfBin, { MESHFLEET_DB: ctx.mesh.db, MESHFLEET_SSE_PORT: String(ctx.mesh.port) }, path.join(ctx.work, "register.log"));
  ctx.cleanup.push(() => reg.close());
  await reg.call("register_agent", { agent_id: b, role: "answers questions" });
  const hb = startOneShot(client, ctx, b, "Your agent id is bob. Wait for a question in your meshfleet inbox and answer it.");
  const ha = startOneShot(client, ctx, a, "Your agent id is alice. Ask bob a question through meshfleet and wait for the answer.");
  await Promise.all([exitedOk(ha, a), exitedOk(hb, b)]);
  const bobSaw = resultsOf(ctx.model, b).find((r) => r.text.includes("QUESTION"));
  const aliceSaw = resultsOf(ctx.model, a).find((r) => r.text.includes("ANSWER"));
  if (!bobSaw) throw new Error(`${b}'s model never saw the question in a tool result`);
  if (!aliceSaw) throw new Error(`${a}'s model never saw the reply in its ask result: ${JSON.stringify(resultsOf(ctx.model, a)).slice(0, 300)}`);
  const x = { bobSaw, aliceSaw };
  exchanges.set(client, x);
  return x;
}

/** (b) The payload must reach the model as written: no \uXXXX, no HTML entities, in both directions. */
async function unescaped(client, ctx) {
  const { bobSaw, aliceSaw } = await askReply(client, ctx);
  for (const [who, r] of [["the recipient (get_inbox)", bobSaw], ["the asker (ask)", aliceSaw]]) {
    if (!r.text.includes(PAYLOAD)) {
      const around = /(QUESTION|ANSWER).{0,60}/.exec(r.text)?.[0] ?? r.text.slice(0, 120);
      throw new Error(`${who} saw the payload escaped: ${around}`);
    }
  }
}

const CLIENTS = ["claude", "opencode", "codex", "gemini"];
export const scenarios = [
  ...CLIENTS.flatMap((c) => [
    { name: `${c} ask-reply`, timeoutMs: 120_000, run: (ctx) => askReply(c, ctx).then(() => undefined) },
    { name: `${c} unescaped-payload`, timeoutMs: 120_000, run: (ctx) => unescaped(c, ctx) },
  ]),
  ...wakeScenarios.filter((w) => !w.measure),
  ...hookScenarios,
  ...wakeScenarios.filter((w) => w.measure),
];

