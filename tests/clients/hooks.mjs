// Gemini CLI has no way to start a turn from outside; its hooks run at turn boundaries. The repo's example
// (clients/gemini-cli/settings.json) runs `meshfleet inbox --hook …` there: a message that arrives while the agent is in
// a tool call reaches the model with the next request (AfterTool's additional context).
import { startOneShot } from "./clients.mjs";
import { hasCommand } from "./mcp.mjs";
import { PAYLOAD } from "./scripts.mjs";
import { sender } from "./wake.mjs";

async function geminiHookWake(ctx) {
  if (!(await hasCommand(ctx.mfBin, ["inbox"]))) return { skip: "this meshfleet build has no `inbox` command" };
  const agent = "gina";
  const s = await sender(ctx);
  ctx.model.script(agent, (t) => (t.results.length === 0 ? { tool: "get_inbox", args: { agent_id: "dave", wait_seconds: 2 } } : { text: "noted" }));
  const hook = (event) => ({
    ...(event === "AfterTool" ? { matcher: ".*" } : {}),
    hooks: [{ type: "command", name: "meshfleet-inbox", timeout: 10000,
      command: `MESHFLEET_AGENT_ID=${agent} MESHFLEET_DB='${ctx.mesh.db}' '${ctx.mfBin}' inbox --hook ${event} --cursor gemini` }],
  });
  const hooks = Object.fromEntries(["BeforeAgent", "AfterTool", "AfterAgent"].map((e) => [e, [hook(e)]]));
  const h = startOneShot("gemini", ctx, agent, "Your agent id is gina. Check the inbox of dave once.", { hooks });
  // The model's first request comes after BeforeAgent ran (the cursor is set); it answers with a 2 s tool call, and
  // the message sent now arrives during that call.
  await ctx.model.waitTurn((t) => t.agent === agent, 90_000, "gina's first model request");
  const t0 = performance.now();
  const sent = await s.call("send_message", { to_agent_id: agent, payload: `HOOK-1 ${PAYLOAD}` });
  const turn = await ctx.model.waitTurn((t) => t.agent === agent && t.at >= t0 && JSON.stringify(t.body).includes("HOOK-1"), 60_000, "the message in gina's next request");
  await h.done;
  const body = JSON.stringify(turn.body);
  if (!body.includes(sent.message_id)) throw new Error("the request carries the payload but not the message id");
  return { info: `(send→model ${(turn.at - t0).toFixed(0)} ms, the rest of a 2 s tool call included)` };
}

export const hookScenarios = [{ name: "gemini hook-wake (AfterTool, during a tool call)", timeoutMs: 150_000, run: geminiHookWake }];
