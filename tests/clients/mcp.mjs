// A minimal MCP client over stdio (newline-delimited JSON-RPC) for the test's own agent: it sends the messages that
// wake the clients, and reads what the binary declares. No SDK: the point is to drive the real binary, not to test one.
import { spawn } from "node:child_process";
import fs from "node:fs";

export async function connect(mfBin, env, logFile) {
  const err = fs.openSync(logFile, "a");
  const child = spawn(mfBin, [], { env: { ...process.env, ...env }, stdio: ["pipe", "pipe", err] });
  fs.closeSync(err);
  let buf = "", next = 1;
  const pending = new Map();
  child.stdout.setEncoding("utf8");
  child.stdout.on("data", (d) => {
    buf += d;
    let i;
    while ((i = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, i); buf = buf.slice(i + 1);
      if (!line.trim()) continue;
      const msg = JSON.parse(line);
      if (msg.id !== undefined && pending.has(msg.id)) { pending.get(msg.id)(msg); pending.delete(msg.id); }
    }
  });
  const request = (method, params) => new Promise((resolve, reject) => {
    const id = next++;
    pending.set(id, (m) => (m.error ? reject(new Error(`${method}: ${m.error.message}`)) : resolve(m.result)));
    child.stdin.write(JSON.stringify({ jsonrpc: "2.0", id, method, params }) + "\n");
  });
  const init = await request("initialize", { protocolVersion: "2025-06-18", capabilities: {}, clientInfo: { name: "clients-test", version: "1" } });
  child.stdin.write(JSON.stringify({ jsonrpc: "2.0", method: "notifications/initialized" }) + "\n");
  return {
    capabilities: init.capabilities ?? {},
    async call(name, args) {
      const r = await request("tools/call", { name, arguments: args });
      const text = (r.content ?? []).map((c) => c.text ?? "").join("");
      if (r.isError) throw new Error(`${name}: ${text}`);
      return JSON.parse(text);
    },
    close: () => new Promise((resolve) => { child.once("exit", resolve); child.stdin.end(); setTimeout(() => child.kill("SIGKILL"), 3000).unref(); }),
  };
}

/** Whether this build has a subcommand (h9b's `watch`, `bridge`): it must not answer "unknown command". */
export function hasCommand(mfBin, words) {
  return new Promise((resolve) => {
    const c = spawn(mfBin, words, { stdio: ["ignore", "pipe", "pipe"], env: { ...process.env, MESHFLEET_AGENT_ID: "" } });
    let out = "";
    c.stdout.on("data", (d) => { out += d; });
    c.stderr.on("data", (d) => { out += d; });
    // Its usage error names the command ("which agent? … Usage: meshfleet watch …"); an older build says "unknown command".
    c.on("exit", () => resolve(out.includes(`Usage: meshfleet ${words.join(" ")}`) || out.includes(`or: meshfleet ${words.join(" ")}`)));
    c.on("error", () => resolve(false));
  });
}

