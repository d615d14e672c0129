// Launchers for the real clients (installed by `npm ci` in this folder), each in its own temporary HOME, pointed at the
// fake model, with telemetry and update checks off, and with meshfleet as a stdio MCP server (the built binary).
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import net from "node:net";

export const here = path.dirname(new URL(import.meta.url).pathname);
const bin = (name) => path.join(here, "node_modules", ".bin", name);
export const node22 = bin("node");

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer().listen(0, "127.0.0.1", () => { const p = s.address().port; s.close(() => resolve(p)); });
    s.on("error", reject);
  });
}

/** Environment every client gets: its own HOME and XDG folders, nothing that phones home. */
function baseEnv(home, extra) {
  const env = {
    PATH: `${path.dirname(node22)}:${process.env.PATH}`, // clients that need node >= 22 find it first
    HOME: home, USER: process.env.USER ?? "root", LANG: "C.UTF-8", TERM: "xterm-256color",
    XDG_CONFIG_HOME: path.join(home, ".config"), XDG_DATA_HOME: path.join(home, ".local/share"),
    XDG_STATE_HOME: path.join(home, ".local/state"), XDG_CACHE_HOME: path.join(home, ".cache"),
    TMPDIR: path.join(home, "tmp"), NO_PROXY: "127.0.0.1,localhost", no_proxy: "127.0.0.1,localhost",
    ...extra,
  };
  fs.mkdirSync(env.TMPDIR, { recursive: true });
  return env;
}

/** The meshfleet stdio server each client launches: the built binary, a shared temp store, a shared free port. */
export function meshEnv(mesh, agentId) {
  return { MESHFLEET_DB: mesh.db, MESHFLEET_SSE_PORT: String(mesh.port), MESHFLEET_AGENT_ID: agentId, ...mesh.extraEnv };
}

export function launch(name, cmd, args, opts) {
  const out = fs.openSync(path.join(opts.logDir, `${name}.log`), "a");
  const child = spawn(cmd, args, { cwd: opts.cwd, env: opts.env, stdio: [opts.stdin ?? "ignore", out, out], detached: true });
  fs.closeSync(out);
  const done = new Promise((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return {
    child, done,
    log: () => fs.readFileSync(path.join(opts.logDir, `${name}.log`), "utf8"),
    kill() { try { process.kill(-child.pid, "SIGKILL"); } catch { /* already gone */ } return done; },
  };
}

function agentHome(work, agent) {
  const home = path.join(work, `home-${agent}`);
  const cwd = path.join(work, `cwd-${agent}`);
  fs.mkdirSync(home, { recursive: true });
  fs.mkdirSync(cwd, { recursive: true });
  return { home, cwd };
}

export const CLAUDE_KEY = "sk-ant-fake-model-key-0123456789abcdef";

/** Claude Code: ANTHROPIC_BASE_URL, an API key pre-approved in ~/.claude.json, onboarding and trust done. */
export function claudeSetup(work, agent, model, mesh, mfBin, { channels = true } = {}) {
  const { home, cwd } = agentHome(work, agent);
  // meshfleet in the local scope, where `claude mcp add meshfleet -- …` (the README's snippet) puts it: a channel is
  // refused for a server that only came from --mcp-config ("no MCP server configured with that name").
  const meshfleet = { type: "stdio", command: mfBin, args: [], env: meshEnv(mesh, agent) };
  fs.writeFileSync(path.join(home, ".claude.json"), JSON.stringify({
    hasCompletedOnboarding: true, theme: "dark", numStartups: 5,
    customApiKeyResponses: { approved: [CLAUDE_KEY.slice(-20)], rejected: [] },
    projects: { [cwd]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true, allowedTools: [], mcpServers: { meshfleet } } },
    // The channels feature flag, normally fetched from the vendor: seeded, because the test is offline.
    cachedGrowthBookFeatures: { tengu_harbor: channels },
  }));
  const env = baseEnv(home, {
    ANTHROPIC_BASE_URL: model.url(agent), ANTHROPIC_API_KEY: CLAUDE_KEY,
    DISABLE_TELEMETRY: "1", DISABLE_ERROR_REPORTING: "1", DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    CLAUDE_CODE_GB_DISK_CACHE_WHEN_TELEMETRY_OFF: "1", DISABLE_COST_WARNINGS: "1", CLAUDE_CODE_DISABLE_FEEDBACK_SURVEY: "1",
    MCP_TIMEOUT: "30000", ENABLE_TOOL_SEARCH: "false", // MCP tools in the request itself, not deferred behind ToolSearch
  });
  const common = ["--model", "claude-sonnet-4-5", "--allowedTools", "mcp__meshfleet"];
  return { home, cwd, env, common, bin: bin("claude") };
}

/** OpenCode: an openai-compatible provider whose baseURL is the fake model, in opencode.json (OPENCODE_CONFIG). */
export function opencodeSetup(work, agent, model, mesh, mfBin, { timeoutMs } = {}) {
  const { home, cwd } = agentHome(work, agent);
  const config = path.join(home, "opencode.json");
  const meshfleet = { type: "local", command: [mfBin], enabled: true, environment: meshEnv(mesh, agent) };
  if (timeoutMs) meshfleet.timeout = timeoutMs;
  fs.writeFileSync(config, JSON.stringify({
    $schema: "https://opencode.ai/config.json",
    autoupdate: false, share: "disabled",
    model: "fake/fake-model", small_model: "fake/fake-model",
    provider: {
      fake: {
        npm: "@ai-sdk/openai-compatible", name: "Fake",
        options: { baseURL: model.url(agent) + "/v1", apiKey: "dummy" },
        models: { "fake-model": { name: "fake-model", tool_call: true, limit: { context: 100000, output: 4096 } } },
      },
    },
    permission: { "*": "allow" },
    mcp: { meshfleet },
  }));
  const env = baseEnv(home, {
    OPENCODE_CONFIG: config, OPENCODE_DISABLE_AUTOUPDATE: "1", OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_DEFAULT_PLUGINS: "1", OPENCODE_DISABLE_LSP_DOWNLOAD: "1", OPENCODE_DISABLE_SHARE: "1",
    OPENCODE_DISABLE_CLAUDE_CODE: "1", OPENCODE_DISABLE_EXTERNAL_SKILLS: "1", OPENCODE_DISABLE_PROJECT_CONFIG: "1",
    OPENCODE_EXPERIMENTAL_DISABLE_FILEWATCHER: "1",
  });
  return { home, cwd, env, bin: bin("opencode") };
}

/** Codex: a model provider with base_url = the fake model and wire_api = "responses" in $CODEX_HOME/config.toml. */
export function codexSetup(work, agent, model, mesh, mfBin, { toolTimeoutSec } = {}) {
  const { home, cwd } = agentHome(work, agent);
  const codexHome = path.join(home, ".codex");
  fs.mkdirSync(codexHome, { recursive: true });
  const envToml = Object.entries(meshEnv(mesh, agent)).map(([k, v]) => `${k} = ${JSON.stringify(v)}`).join(", ");
  fs.writeFileSync(path.join(codexHome, "config.toml"), [
    `model = "fake-model"`,
    `model_provider = "fake"`,
    `approval_policy = "never"`,
    `sandbox_mode = "danger-full-access"`,
    `check_for_update_on_startup = false`,
    `[analytics]`, `enabled = false`,
    `[feedback]`, `enabled = false`,
    `[otel]`, `exporter = "none"`,
    // Plugins and apps sync from the vendor at start-up (github.com, chatgpt.com): off, the test talks to loopback only.
    `[features]`, `plugins = false`, `remote_plugin = false`, `apps = false`, `plugin_sharing = false`, `tool_suggest = false`,
    `[model_providers.fake]`,
    `name = "fake"`,
    `base_url = ${JSON.stringify(model.url(agent) + "/v1")}`,
    `wire_api = "responses"`,
    `env_key = "FAKE_MODEL_KEY"`,
    `request_max_retries = 0`,
    `stream_max_retries = 0`,
    `[mcp_servers.meshfleet]`,
    `command = ${JSON.stringify(mfBin)}`,
    `args = []`,
    `env = { ${envToml} }`,
    ...(toolTimeoutSec ? [`tool_timeout_sec = ${toolTimeoutSec}`] : []),
    `[projects.${JSON.stringify(cwd)}]`, `trust_level = "trusted"`,
    "",
  ].join("\n"));
  const env = baseEnv(home, { CODEX_HOME: codexHome, FAKE_MODEL_KEY: "dummy", CODEX_DISABLE_TELEMETRY: "1", RUST_LOG: "warn" });
  return { home, cwd, env, codexHome, bin: bin("codex") };
}

/** Gemini CLI: GOOGLE_GEMINI_BASE_URL = the fake model, an API key, settings.json with the MCP server trusted. */
export function geminiSetup(work, agent, model, mesh, mfBin, { hooks } = {}) {
  const { home, cwd } = agentHome(work, agent);
  const dir = path.join(home, ".gemini");
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify({
    security: { auth: { selectedType: "gemini-api-key" }, folderTrust: { enabled: false } },
    privacy: { usageStatisticsEnabled: false },
    telemetry: { enabled: false },
    general: { disableAutoUpdate: true, disableUpdateNag: true, checkpointing: { enabled: false } },
    model: { name: "gemini-2.5-flash" },
    mcpServers: { meshfleet: { command: mfBin, args: [], env: meshEnv(mesh, agent), trust: true, timeout: 120000 } },
    ...(hooks ? { hooks } : {}),
  }));
  const env = baseEnv(home, {
    GEMINI_API_KEY: "dummy", GOOGLE_GEMINI_BASE_URL: model.url(agent), GEMINI_CLI_NO_RELAUNCH: "true",
    GEMINI_TELEMETRY_ENABLED: "false", NO_BROWSER: "1", CI: "1",
  });
  return { home, cwd, env, bin: bin("gemini") };
}

/** Starts one client in its non-interactive mode with `prompt`; resolves to a handle with `done` and `kill`. */
export function startOneShot(client, ctx, agent, prompt, opts = {}) {
  const { work, model, mesh, mfBin, cleanup } = ctx;
  let h;
  if (client === "claude") {
    const c = claudeSetup(work, agent, model, mesh, mfBin);
    h = launch(`claude-${agent}`, c.bin, ["-p", prompt, ...c.common], { cwd: c.cwd, env: c.env, logDir: work });
  } else if (client === "opencode") {
    const c = opencodeSetup(work, agent, model, mesh, mfBin, opts);
    h = launch(`opencode-${agent}`, c.bin, ["run", "--model", "fake/fake-model", prompt], { cwd: c.cwd, env: c.env, logDir: work });
  } else if (client === "codex") {
    const c = codexSetup(work, agent, model, mesh, mfBin, opts);
    h = launch(`codex-${agent}`, c.bin, ["exec", "--skip-git-repo-check", "--dangerously-bypass-approvals-and-sandbox", "-C", c.cwd, prompt],
      { cwd: c.cwd, env: c.env, logDir: work });
  } else {
    const c = geminiSetup(work, agent, model, mesh, mfBin, opts);
    h = launch(`gemini-${agent}`, c.bin, ["-p", prompt, "--approval-mode", "yolo", "-m", "gemini-2.5-flash"], { cwd: c.cwd, env: c.env, logDir: work });
  }
  cleanup.push(() => h.kill());
  return h;
}

export const resultsOf = (model, agent) => model.turns.filter((t) => t.agent === agent).flatMap((t) => t.results);

