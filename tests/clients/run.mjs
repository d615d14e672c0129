// Real agent clients against a real mesh, driven by a scripted fake model. One line per scenario:
//   clients <scenario>: ok | FAILED: why | SKIP: why
// Usage: MESHFLEET_BIN=out/meshfleet node tests/clients/run.mjs [name-filter ...] [--measure]
// Verbose logs (every client's output, every model request) go to $CLIENTS_LOG_DIR (default: a temp folder).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { startFakeModel } from "./fake-model.mjs";
import { freePort } from "./clients.mjs";
import { scenarios } from "./scenarios.mjs";

/**
 * Processes a scenario left behind: Codex's TUI starts an app-server daemon in a session of its own, outside the process
 * group we kill. Each is found by the scenario's unique folder in its command line or environment, and killed by pid.
 */
function killStragglers(work) {
  for (const pid of fs.readdirSync("/proc").filter((d) => /^\d+$/.test(d) && Number(d) !== process.pid)) {
    try {
      const seen = fs.readFileSync(`/proc/${pid}/cmdline`, "utf8") + fs.readFileSync(`/proc/${pid}/environ`, "utf8");
      if (seen.includes(work + "/")) process.kill(Number(pid), "SIGKILL");
    } catch { /* gone, or not ours to read */ }
  }
}

const args = process.argv.slice(2);
const measure = args.includes("--measure");
const filters = args.filter((a) => !a.startsWith("--"));
const mfBin = path.resolve(process.env.MESHFLEET_BIN ?? "out/meshfleet");
if (!fs.existsSync(mfBin)) { console.error(`MESHFLEET_BIN ${mfBin} does not exist: publish it first (dotnet publish src/Meshfleet -c Release -o out)`); process.exit(2); }
const logRoot = process.env.CLIENTS_LOG_DIR ?? fs.mkdtempSync(path.join(os.tmpdir(), "meshfleet-clients-"));
fs.mkdirSync(logRoot, { recursive: true });

const chosen = scenarios.filter((s) => (filters.length === 0 || filters.some((f) => s.name.includes(f))) && (measure || !s.measure));
let failed = 0, passed = 0, skipped = 0;
for (const s of chosen) {
  const work = path.join(logRoot, s.name.replace(/[^a-z0-9]+/gi, "-"));
  fs.mkdirSync(work, { recursive: true });
  const model = await startFakeModel();
  const mesh = { db: path.join(work, "mesh.db"), port: await freePort(), extraEnv: {} };
  const started = performance.now();
  const cleanup = [];
  let line;
  try {
    const result = await Promise.race([
      s.run({ work, model, mesh, mfBin, cleanup, log: (m) => fs.appendFileSync(path.join(work, "scenario.log"), m + "\n") }),
      new Promise((_, reject) => setTimeout(() => reject(new Error(`scenario took longer than ${s.timeoutMs / 1000} s`)), s.timeoutMs).unref()),
    ]);
    const secs = ((performance.now() - started) / 1000).toFixed(1);
    if (result?.skip) { line = `SKIP: ${result.skip}`; skipped++; }
    else { line = `ok (${secs} s)${result?.info ? " " + result.info : ""}`; passed++; }
  } catch (e) {
    line = `FAILED: ${e.message} (logs: ${work})`; failed++;
  } finally {
    for (const c of cleanup.reverse()) { try { await c(); } catch { /* best effort */ } }
    killStragglers(work);
    fs.writeFileSync(path.join(work, "model-requests.json"), JSON.stringify({ turns: model.turns, side: model.side }, null, 1));
    await model.close();
  }
  console.log(`clients ${s.name}: ${line}`);
}
console.log(`clients: ${passed} ok, ${failed} failed, ${skipped} skipped (logs: ${logRoot})`);
if (!process.env.CLIENTS_LOG_DIR && failed === 0) fs.rmSync(logRoot, { recursive: true, force: true });
process.exit(failed ? 1 : 0);
