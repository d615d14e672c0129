// Idle sessions woken by the mesh: Claude Code through its channel (interactive, under tmux), OpenCode and Codex
// through meshfleet's bridges. A test agent sends; the assertion is on the model request that carries the message.
import { execFileSync, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { claudeSetup, launch, opencodeSetup, codexSetup, freePort, here, meshEnv } from "./clients.mjs";
import { connect, hasCommand } from "./mcp.mjs";
import { PAYLOAD } from "./scripts.mjs";
import { longWaitScenario } from "./longwait.mjs";

const SENDER = "dave";
const q = (v) => `'${String(v).replaceAll("'", "'\\''")}'`;
const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/** The test's own agent: a meshfleet stdio process on the same store, bound to the sender (a bound process is what declares the channel). */
export async function sender(ctx) {
  const s = await connect(ctx.mfBin, { MESHFLEET_DB: ctx.mesh.db, MESHFLEET_SSE_PORT: String(ctx.mesh.port), MESHFLEET_AGENT_ID: SENDER }, path.join(ctx.work, "sender.log"));
  ctx.cleanup.push(() => s.close());
  return s;
}

/** Sends `token` to `to` and resolves with the model request that carries it and the send-to-model latency. */
export async function sendAndSee(ctx, s, to, token, timeoutMs = 20_000) {
  const t0 = performance.now();
  const sent = await s.call("send_message", { from_agent_id: SENDER, to_agent_id: to, payload: `${token} ${PAYLOAD}` });
  // Anywhere in the request: Claude Code puts a channel message that arrives during a tool call into that call's result.
  const turn = await ctx.model.waitTurn((t) => t.agent === to && t.at >= t0 && JSON.stringify(t.body).includes(token), timeoutMs,
    `${to}'s model to receive ${token}`);
  const text = turn.userTexts.find((u) => u.includes(token)) ?? turn.results.find((r) => r.text.includes(token))?.text ?? "";
  return { turn, sent, ms: turn.at - t0, text };
}

/** A tmux server of its own (private socket), so nothing touches the user's sessions. */
function tmuxOn(work) {
  const sock = path.join(work, "tmux.sock");
  const tmux = (...a) => execFileSync("tmux", ["-S", sock, ...a], { encoding: "utf8" });
  return { tmux, kill: () => { try { tmux("kill-server"); } catch { /* gone */ } } };
}

async function paneUntil(tmux, test, timeoutMs, what) {
  const end = performance.now() + timeoutMs;
  let pane = "";
  while (performance.now() < end) {
    pane = tmux("capture-pane", "-p", "-t", "s");
    const r = test(pane);
    if (r) return r;
    await pause(200);
  }
  throw new Error(`timed out waiting for ${what}; screen: ${pane.split("\n").filter((l) => l.trim()).slice(-6).join(" | ")}`);
}

/** An interactive Claude Code session under tmux with meshfleet's channel loaded, its warning confirmed, idle. */
export async function startClaudeChannel(ctx, agent) {
  const probe = await sender(ctx);
  if (!probe.capabilities.experimental?.["claude/channel"]) return { skip: "this meshfleet build declares no experimental claude/channel capability" };
  const c = claudeSetup(ctx.work, agent, ctx.model, ctx.mesh, ctx.mfBin);
  const sh = path.join(ctx.work, `claude-${agent}.sh`);
  fs.writeFileSync(sh, [...Object.entries(c.env).map(([k, v]) => `export ${k}=${q(v)}`), `cd ${q(c.cwd)}`,
    `exec ${q(c.bin)} --dangerously-load-development-channels server:meshfleet ${c.common.map(q).join(" ")} 2>>${q(path.join(ctx.work, "claude-stderr.log"))}`].join("\n"));
  const { tmux, kill } = tmuxOn(ctx.work);
  ctx.cleanup.push(kill);
  tmux("-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "160", "-y", "50", `sh ${q(sh)}`);
  await paneUntil(tmux, (p) => p.includes("I am using this for local development"), 60_000, "the development-channels warning");
  tmux("send-keys", "-t", "s", "Enter");
  const screen = await paneUntil(tmux, (p) => (/Channels \(experimental\)|not currently available|no MCP server configured/.test(p) ? p : null), 60_000, "the channel banner");
  if (!screen.includes("Channels (experimental)") || /not currently available|no MCP server configured/.test(screen)) {
    throw new Error(`Claude Code did not enable the channel: ${screen.split("\n").filter((l) => /channel/i.test(l)).join(" | ")}`);
  }
  // Claude Code's own MCP log says when the server connected and its channel handler is in place.
  const logs = path.join(c.home, ".cache", "claude-cli-nodejs");
  await until(() => fs.readdirSync(logs, { recursive: true }).filter((f) => String(f).includes("mcp-logs-meshfleet") && String(f).endsWith(".jsonl"))
    .some((f) => fs.readFileSync(path.join(logs, String(f)), "utf8").includes("Channel notifications registered")), 60_000, "Claude Code to register meshfleet's channel");
  return { tmux, probe };
}

/**
 * The session has run a turn end to end: a prompt typed into it reached the model and the answer is on screen. Before
 * that, Claude Code can log a channel notification as received and still never turn it into a model turn (seen with
 * notifications sent in the first ~50 ms after it connected), so "idle" is measured from here.
 */
async function settle(ctx, started, agent) {
  started.tmux("send-keys", "-t", "s", "-l", "SETTLE please");
  started.tmux("send-keys", "-t", "s", "Enter");
  await ctx.model.waitTurn((t) => t.agent === agent && t.userTexts.some((u) => u.includes("SETTLE please")), 30_000, "the typed prompt to reach the model");
  await paneUntil(started.tmux, (p) => p.includes("noted"), 30_000, "the answer on screen");
}

const screenOf = (started) => () => started.tmux("capture-pane", "-p", "-t", "s").split("\n").filter((l) => l.trim()).slice(-8).join(" | ");

function checkChannelTurn(r) {
  if (!/<channel source="[^"]*meshfleet/.test(r.text)) throw new Error(`the turn does not carry a meshfleet channel tag: ${r.text.slice(0, 200)}`);
  if (!r.text.includes(r.sent.message_id) || !r.text.includes(SENDER)) throw new Error(`the turn lacks the sender or message_id: ${r.text.slice(0, 300)}`);
  if (!r.text.includes(PAYLOAD)) throw new Error(`the payload reached the model escaped: ${r.text.slice(0, 300)}`);
}

/** (c) An idle interactive session gets a turn per message, with sender, id and payload, once each, in order. */
async function claudeChannelWake(ctx) {
  const agent = "carol";
  ctx.model.script(agent, () => ({ text: "noted" }));
  const started = await startClaudeChannel(ctx, agent);
  if (started.skip) return started;
  await settle(ctx, started, agent);
  const seen = [];
  for (let i = 1; i <= 3; i++) {
    const r = await sendAndSee(ctx, started.probe, agent, `WAKE-${i}`).catch((e) => { throw new Error(`${e.message}; screen: ${screenOf(started)()}`); });
    checkChannelTurn(r);
    seen.push(r.ms);
  }
  // Once per session, in order: the last request's history holds each message exactly once.
  const last = ctx.model.turns.filter((t) => t.agent === agent).at(-1);
  const counts = [1, 2, 3].map((i) => last.userTexts.filter((u) => u.includes(`WAKE-${i} `)).length);
  if (counts.some((n) => n !== 1)) throw new Error(`each message must reach the model once; counts ${counts.join(",")}`);
  return { info: `(send→model ${seen.map((m) => m.toFixed(0)).join(", ")} ms)` };
}

/** A message sent while no session is bound reaches the model when a session binds (the wake backlog). */
async function claudeChannelBacklog(ctx) {
  const agent = "erin";
  ctx.model.script(agent, () => ({ text: "noted" }));
  const s = await sender(ctx);
  if (!s.capabilities.experimental?.["claude/channel"]) return { skip: "this meshfleet build declares no experimental claude/channel capability" };
  const sent = await s.call("send_message", { from_agent_id: SENDER, to_agent_id: agent, payload: `BACKLOG-1 ${PAYLOAD}` });
  const started = await startClaudeChannel(ctx, agent);
  const turn = await ctx.model.waitTurn((t) => t.agent === agent && t.userTexts.some((u) => u.includes("BACKLOG-1")), 30_000,
    `${agent}'s model to receive the message sent before the session started`).catch((e) => { throw new Error(`${e.message}; screen: ${screenOf(started)()}`); });
  checkChannelTurn({ text: turn.userTexts.find((u) => u.includes("BACKLOG-1")), sent });
}

/**
 * Claude Code's other wake path, for users whose channels are off: the repo's plugin (clients/claude-code), whose
 * monitor runs `meshfleet watch --prompt`; each line it prints starts a turn. No channel flag, no dialog.
 */
async function claudePluginMonitor(ctx) {
  const plugin = path.resolve(here, "../../clients/claude-code/meshfleet-plugin");
  if (!fs.existsSync(path.join(plugin, ".claude-plugin", "plugin.json"))) return { skip: "no Claude Code plugin in clients/claude-code/meshfleet-plugin" };
  if (!(await hasCommand(ctx.mfBin, ["watch"]))) return { skip: "this meshfleet build has no `watch` command" };
  const agent = "fred";
  ctx.model.script(agent, () => ({ text: "noted" }));
  const s = await sender(ctx);
  const c = claudeSetup(ctx.work, agent, ctx.model, ctx.mesh, ctx.mfBin, { channels: false });
  // The monitor command is `meshfleet watch …`: meshfleet on PATH, the agent and the mesh in the session's environment.
  const env = { ...c.env, PATH: `${path.dirname(ctx.mfBin)}:${c.env.PATH}`, ...meshEnv(ctx.mesh, agent) };
  const sh = path.join(ctx.work, `claude-${agent}.sh`);
  fs.writeFileSync(sh, [...Object.entries(env).map(([k, v]) => `export ${k}=${q(v)}`), `cd ${q(c.cwd)}`,
    `exec ${q(c.bin)} --plugin-dir ${q(plugin)} ${c.common.map(q).join(" ")} 2>>${q(path.join(ctx.work, "claude-stderr.log"))}`].join("\n"));
  const { tmux, kill } = tmuxOn(ctx.work);
  ctx.cleanup.push(kill);
  tmux("-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "160", "-y", "50", `sh ${q(sh)}`);
  const started = { tmux };
  // Once the monitor runs, the footer's "? for shortcuts" gives way to "1 monitor · ↓ to manage": either means the prompt is up.
  await paneUntil(tmux, (p) => p.includes("? for shortcuts") || /\d+ monitors? · /.test(p), 60_000, "Claude Code's prompt");
  await settle(ctx, started, agent);
  // watch starts at the mesh's head the first time: wait until its stream is open, or the message predates it.
  const overview = `http://127.0.0.1:${ctx.mesh.port}/api/overview`;
  await until(async () => ((await (await fetch(overview)).json()).streams ?? {})[agent] > 0, 30_000, "the monitor's `meshfleet watch` stream");
  const r = await sendAndSee(ctx, s, agent, "MONITOR-1").catch((e) => { throw new Error(`${e.message}; screen: ${screenOf(started)()}`); });
  // Claude Code wraps a monitor's line in <event>…</event> and XML-escapes it itself (&lt;b&gt;): meshfleet's line is
  // plain, so the check is that nothing is \u-escaped and the text is the payload or Claude Code's XML form of it.
  const xml = PAYLOAD.replaceAll("&", "&amp;").replaceAll("<", "&lt;").replaceAll(">", "&gt;");
  if (!r.text.includes(r.sent.message_id) || !(r.text.includes(PAYLOAD) || r.text.includes(xml))) throw new Error(`the turn lacks the message id or the plain payload: ${r.text.slice(0, 600)}`);
  return { info: `(send→model ${r.ms.toFixed(0)} ms)` };
}

async function until(test, timeoutMs, what) {
  const end = performance.now() + timeoutMs;
  while (performance.now() < end) {
    try { if (await test()) return; } catch { /* not up yet */ }
    await pause(200);
  }
  throw new Error(`timed out waiting for ${what}`);
}

// ---- OpenCode and Codex through meshfleet's bridges ----

/** `opencode serve` with meshfleet configured, one session created, and `meshfleet bridge opencode` attached. */
export async function startOpencodeBridge(ctx, agent) {
  if (!(await hasCommand(ctx.mfBin, ["bridge", "opencode"]))) return { skip: "this meshfleet build has no `bridge opencode` command" };
  const c = opencodeSetup(ctx.work, agent, ctx.model, ctx.mesh, ctx.mfBin);
  const port = await freePort();
  const serve = launch(`opencode-serve-${agent}`, c.bin, ["serve", "--port", String(port), "--hostname", "127.0.0.1"], { cwd: c.cwd, env: c.env, logDir: ctx.work });
  ctx.cleanup.push(() => serve.kill());
  const base = `http://127.0.0.1:${port}`;
  const end = performance.now() + 60_000;
  let session;
  while (!session) {
    if (performance.now() > end) throw new Error(`opencode serve did not come up: ${serve.log().slice(-300)}`);
    try {
      // The first request boots OpenCode's instance (config, MCP servers): it can take many seconds on a busy machine.
      const r = await fetch(`${base}/session`, { method: "POST", headers: { "content-type": "application/json" }, body: "{}", signal: AbortSignal.timeout(30_000) });
      if (r.ok) session = await r.json(); else await pause(200);
    } catch { await pause(200); }
  }
  // --since 0: the store is new, so every message is the agent's; the bridge starts at the head otherwise, and a
  // message sent before it follows would never wake anyone in this test.
  const bridge = launch(`bridge-opencode-${agent}`, ctx.mfBin, ["bridge", "opencode", "--agent", agent, "--url", base, "--session", session.id, "--since", "0", "--no-cursor"],
    { cwd: c.cwd, env: { ...process.env, MESHFLEET_DB: ctx.mesh.db, MESHFLEET_SSE_PORT: String(ctx.mesh.port) }, logDir: ctx.work });
  ctx.cleanup.push(() => bridge.kill());
  return { base, session, bridge };
}

/**
 * Codex's interactive TUI under tmux (it starts the shared app-server daemon of its CODEX_HOME), and
 * `meshfleet bridge codex`, which reaches that daemon with `codex app-server proxy` and wakes the TUI's thread.
 */
export async function startCodexBridge(ctx, agent) {
  if (!(await hasCommand(ctx.mfBin, ["bridge", "codex"]))) return { skip: "this meshfleet build has no `bridge codex` command" };
  const c = codexSetup(ctx.work, agent, ctx.model, ctx.mesh, ctx.mfBin);
  const { tmux, kill } = tmuxOn(ctx.work);
  ctx.cleanup.push(kill);
  ctx.cleanup.push(() => spawnSync(c.bin, ["app-server", "daemon", "stop"], { env: c.env, timeout: 15_000, stdio: "ignore" }));
  const sh = path.join(ctx.work, `codex-${agent}.sh`);
  fs.writeFileSync(sh, [...Object.entries(c.env).map(([k, v]) => `export ${k}=${q(v)}`), `cd ${q(c.cwd)}`,
    `exec ${q(c.bin)} 2>>${q(path.join(ctx.work, "codex-tui-stderr.log"))}`].join("\n"));
  tmux("-f", "/dev/null", "new-session", "-d", "-s", "s", "-x", "160", "-y", "50", `sh ${q(sh)}`);
  await paneUntil(tmux, (p) => p.includes("Ask Codex to do anything"), 60_000, "Codex's prompt");
  // The TUI's daemon opens its control socket some seconds later (it first copies itself under CODEX_HOME/packages).
  await until(() => fs.existsSync(path.join(c.codexHome, "app-server-control", "app-server-control.sock")), 90_000, "the Codex daemon's control socket");
  const bridge = launch(`bridge-codex-${agent}`, ctx.mfBin, ["bridge", "codex", "--agent", agent, "--app-server", `${c.bin} app-server proxy`, "--since", "0", "--no-cursor"],
    { cwd: c.cwd, env: { ...c.env, MESHFLEET_DB: ctx.mesh.db, MESHFLEET_SSE_PORT: String(ctx.mesh.port) }, logDir: ctx.work });
  ctx.cleanup.push(() => bridge.kill());
  return { bridge, tmux };
}

async function bridgeWake(ctx, client) {
  const agent = `${client}-idle`;
  ctx.model.script(agent, () => ({ text: "noted" }));
  const started = client === "opencode" ? await startOpencodeBridge(ctx, agent) : await startCodexBridge(ctx, agent);
  if (started.skip) return started;
  const s = await sender(ctx);
  const seen = [];
  for (let i = 1; i <= 3; i++) {
    const r = await sendAndSee(ctx, s, agent, `WAKE-${i}`, i === 1 ? 60_000 : 20_000);
    if (!r.text.includes(r.sent.message_id)) throw new Error(`the turn lacks the message_id: ${r.text.slice(0, 300)}`);
    if (!r.text.includes(PAYLOAD)) throw new Error(`the payload reached the model escaped: ${r.text.slice(0, 300)}`);
    seen.push(r.ms);
  }
  return { info: `(send→model ${seen.map((m) => m.toFixed(0)).join(", ")} ms)` };
}

// ---- measurement: p50/p99 over 20 sends, idle and busy ----

const pct = (xs, p) => { const s = [...xs].sort((a, b) => a - b); return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)]; };

/**
 * Idle: each send waits for the previous turn to reach the model, then paces 500 ms so the client is back at rest.
 * Busy: the agent is first sent BUSY, on which its model calls get_inbox on an empty inbox with wait_seconds 2; the
 * measured message is sent 0.5 s into that call, so it can only reach the model after the call returns (~1.5 s).
 */
async function measure(ctx, client) {
  const agent = `${client}-m`;
  ctx.model.script(agent, (t) => {
    if (t.tail.kind === "user" && t.tail.text.includes("BUSY-")) return { tool: "get_inbox", args: { agent_id: SENDER, wait_seconds: 2 } }; // an empty inbox: a 2 s wait
    return { text: "noted" };
  });
  const started = client === "claude" ? await startClaudeChannel(ctx, agent)
    : client === "opencode" ? await startOpencodeBridge(ctx, agent) : await startCodexBridge(ctx, agent);
  if (started.skip) return started;
  const s = client === "claude" ? started.probe : await sender(ctx);
  if (client === "claude") await settle(ctx, started, agent);
  await sendAndSee(ctx, s, agent, "WARMUP", 60_000);
  const idle = [], busy = [];
  for (let i = 0; i < 20; i++) {
    await pause(500);
    idle.push((await sendAndSee(ctx, s, agent, `IDLE-${i}`)).ms);
  }
  for (let i = 0; i < 20; i++) {
    await pause(500);
    await s.call("send_message", { from_agent_id: SENDER, to_agent_id: agent, payload: `BUSY-${i}` });
    await pause(500);
    busy.push((await sendAndSee(ctx, s, agent, `DURING-${i}`)).ms);
  }
  const f = (xs) => `p50 ${pct(xs, 50).toFixed(0)} ms, p99 ${pct(xs, 99).toFixed(0)} ms`;
  return { info: `idle: ${f(idle)}; busy (2 s tool call, sent 0.5 s in): ${f(busy)}` };
}

export const wakeScenarios = [
  { name: "claude channel-wake (interactive, tmux)", timeoutMs: 150_000, run: claudeChannelWake },
  { name: "claude channel-backlog (sent before the session started)", timeoutMs: 150_000, run: claudeChannelBacklog },
  { name: "claude plugin-monitor-wake (meshfleet watch, channels off)", timeoutMs: 150_000, run: claudePluginMonitor },
  { name: "opencode bridge-wake (opencode serve)", timeoutMs: 200_000, run: (ctx) => bridgeWake(ctx, "opencode") },
  { name: "codex bridge-wake (app-server)", timeoutMs: 200_000, run: (ctx) => bridgeWake(ctx, "codex") },
  longWaitScenario,
  ...["claude", "opencode", "codex"].map((c) => ({ name: `measure ${c} wake latency`, measure: true, timeoutMs: 300_000, run: (ctx) => measure(ctx, c) })),
];
