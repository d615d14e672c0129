// Runs `meshfleet setup` for each real client in a throwaway HOME, then the client's own `mcp list` (and, for Codex,
// whose `mcp list` does not connect, its app-server's mcpServerStatus/list), and `meshfleet doctor`. See setup.sh.
import { spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

const here = path.dirname(new URL(import.meta.url).pathname);
const bin = process.argv[2];
const clientsBin = path.join(here, "node_modules", ".bin");
const work = fs.mkdtempSync(path.join(os.tmpdir(), "meshfleet-setup-"));
const home = path.join(work, "home");
const cwd = path.join(work, "project");
fs.mkdirSync(cwd, { recursive: true });
fs.mkdirSync(home, { recursive: true });

// Node 22 from the node package comes first on PATH (Claude Code needs it); nothing phones home or updates itself.
const env = {
  PATH: `${clientsBin}:${process.env.PATH}`, HOME: home, USER: process.env.USER ?? "root", LANG: "C.UTF-8", TERM: "dumb",
  XDG_CONFIG_HOME: path.join(home, ".config"), XDG_DATA_HOME: path.join(home, ".local/share"),
  XDG_STATE_HOME: path.join(home, ".local/state"), XDG_CACHE_HOME: path.join(home, ".cache"), NO_COLOR: "1",
  DISABLE_AUTOUPDATER: "1", CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1", OPENCODE_DISABLE_AUTOUPDATE: "1",
  // Gemini CLI 0.61 suppresses every MCP server, user-level ones too, in a folder the user has not trusted.
  GEMINI_CLI_TRUST_WORKSPACE: "true",
};
const meshArgs = ["--db", path.join(work, "mesh.db"), "--sse-port", "0"];

function run(cmd, args, { input, timeoutMs = 60_000, extraEnv = {} } = {}) {
  return new Promise((resolve) => {
    const child = spawn(cmd, args, { cwd, env: { ...env, ...extraEnv }, stdio: ["pipe", "pipe", "pipe"], detached: true });
    let out = "";
    child.stdout.on("data", (d) => { out += d; });
    child.stderr.on("data", (d) => { out += d; });
    const timer = setTimeout(() => { try { process.kill(-child.pid, "SIGKILL"); } catch { /* gone */ } }, timeoutMs);
    child.on("close", (code) => { clearTimeout(timer); resolve({ code, out: out.replace(/\x1b\[[0-9;]*m/g, "") }); });
    if (input) { child.stdin.write(input); } else { child.stdin.end(); }
    if (input) { setTimeout(() => child.stdin.end(), 8_000); }
  });
}

const configs = {
  claude: path.join(home, ".claude.json"),
  opencode: path.join(home, ".config/opencode/opencode.json"),
  codex: path.join(home, ".codex/config.toml"),
  gemini: path.join(home, ".gemini/settings.json"),
};
const connected = {
  claude: /meshfleet: .*meshfleet\s+- ✔ Connected/,
  opencode: /✓ meshfleet connected/,
  codex: /meshfleet\s+\S*meshfleet\s.*enabled/,
  gemini: /✓ meshfleet: .*meshfleet\s+\(stdio\) - Connected/,
};

let failures = 0;
function check(name, ok, detail) {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}`);
  if (!ok) { failures++; console.log(detail.split("\n").map((l) => "     " + l).join("\n")); }
}

// A client that is not installed is refused with how to install it.
{
  const r = await run(bin, ["setup", "codex", ...meshArgs], { extraEnv: { PATH: "/usr/bin:/bin" } });
  check("setup refuses a client that is not installed", r.code === 1 && /npm install -g @openai\/codex/.test(r.out) && !fs.existsSync(configs.codex), r.out);
}

for (const client of Object.keys(configs)) {
  const started = Date.now();
  const first = await run(bin, ["setup", client, "--agent", `setup-${client}`, ...meshArgs]);
  const written = fs.existsSync(configs[client]) ? fs.readFileSync(configs[client], "utf8") : "";
  const again = await run(bin, ["setup", client, "--agent", `setup-${client}`, ...meshArgs]);
  check(`${client}: setup writes ${configs[client]}, a second run changes nothing`,
    first.code === 0 && written.includes(bin) && again.code === 0 && /unchanged/.test(again.out) && fs.readFileSync(configs[client], "utf8") === written,
    first.out + again.out);
  const list = await run(client, ["mcp", "list"]);
  check(`${client}: \`${client} mcp list\` shows meshfleet ${client === "codex" ? "enabled" : "connected"} (${Date.now() - started} ms)`, connected[client].test(list.out), list.out);
}

// `codex mcp list` reads the config without starting the server; its app-server connects and lists the tools.
{
  const requests = [
    { jsonrpc: "2.0", id: 1, method: "initialize", params: { clientInfo: { name: "meshfleet-setup-check", version: "1" } } },
    { jsonrpc: "2.0", method: "initialized" },
    { jsonrpc: "2.0", id: 2, method: "mcpServerStatus/list", params: {} },
  ].map((m) => JSON.stringify(m)).join("\n") + "\n";
  const r = await run("codex", ["app-server"], { input: requests, timeoutMs: 30_000 });
  const status = r.out.split("\n").filter((l) => l.startsWith("{")).map((l) => JSON.parse(l)).find((m) => m.id === 2);
  const server = status?.result?.data?.find((s) => s.name === "meshfleet");
  check("codex: app-server connects to meshfleet and lists its tools", server?.serverInfo?.name === "meshfleet" && Object.keys(server.tools ?? {}).includes("send_message"), r.out.slice(0, 2000));
}

{
  const r = await run(bin, ["doctor", ...meshArgs]);
  check("doctor: all four clients configured, exit 0", r.code === 0 && (r.out.match(/^ok {4}client \w+: .* launches this meshfleet/gm) ?? []).length === 4, r.out);
}

// Agent identity on (a token where setup runs): setup claims each agent's key and writes it, privately, without printing
// it; each client still connects with it, and doctor finds every client holding its agent's current key.
{
  const tokenEnv = { MESHFLEET_TOKEN: "setup-check-token-0123456789abcdef" };
  const tokenArgs = ["--db", path.join(work, "mesh-token.db"), "--sse-port", "0"];
  for (const client of Object.keys(configs)) {
    const first = await run(bin, ["setup", client, "--agent", `key-${client}`, ...tokenArgs], { extraEnv: tokenEnv });
    const written = fs.existsSync(configs[client]) ? fs.readFileSync(configs[client], "utf8") : "";
    const mode = fs.existsSync(configs[client]) ? fs.statSync(configs[client]).mode & 0o777 : 0;
    const again = await run(bin, ["setup", client, "--agent", `key-${client}`, ...tokenArgs], { extraEnv: tokenEnv });
    check(`${client}: with a token, setup writes the agent key (file mode ${mode.toString(8)}), prints it nowhere, a second run changes nothing`,
      first.code === 0 && /MESHFLEET_AGENT_KEY/.test(written) && mode === 0o600 && !/mfk_[A-Za-z0-9_-]{20,}/.test(first.out + again.out)
        && again.code === 0 && /unchanged/.test(again.out) && fs.readFileSync(configs[client], "utf8") === written,
      first.out + again.out);
    const list = await run(client, ["mcp", "list"], { extraEnv: tokenEnv });
    check(`${client}: \`${client} mcp list\` with the agent key shows meshfleet ${client === "codex" ? "enabled" : "connected"}`, connected[client].test(list.out), list.out);
  }
  const r = await run(bin, ["doctor", ...tokenArgs], { extraEnv: tokenEnv });
  check("doctor: identity on, every client holds its agent's current key", r.code === 0 && /^ok {4}identity: on/m.test(r.out)
    && (r.out.match(/^ok {4}client \w+: .* with its current key$/gm) ?? []).length === 4, r.out);
}

if (failures === 0) { fs.rmSync(work, { recursive: true, force: true }); } else { console.log(`kept ${work}`); }
console.log(failures === 0 ? "setup: all clients connected" : `setup: ${failures} check(s) failed`);
process.exit(failures === 0 ? 0 : 1);
