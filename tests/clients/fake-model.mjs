// A scripted fake model on 127.0.0.1 for the real agent clients: it speaks the Anthropic Messages API (Claude Code),
// OpenAI Chat Completions (OpenCode), OpenAI Responses (Codex) and the Gemini API (Gemini CLI), all streaming.
// Each client is pointed at http://127.0.0.1:PORT/agent/<name>/... so the server knows whose script to play.
// A script is a function of the conversation the client sent (its tool results so far and its last user text), so a
// retried request gets the same answer and a side request (titles, summaries) never advances anything. Every request
// is recorded, so a test can assert what the model saw.
import http from "node:http";

/** One normalised view of a request, whatever the wire format. */
export class Turn {
  constructor(agent, api, body) {
    this.agent = agent;
    this.api = api;
    this.body = body;
    this.at = performance.now();
    this.tools = []; // tool names offered
    this.results = []; // [{name, text}] tool results in the history, oldest first
    this.userTexts = []; // every user text in the history, oldest first
    this.tail = { kind: "none", text: "" }; // the last thing in the conversation: "user" text or a tool "result"
  }
  /** The offered tool whose name ends with `suffix` (clients prefix MCP tools differently). */
  tool(suffix) {
    return this.tools.find((t) => t === suffix || t.endsWith("_" + suffix) || t.endsWith("__" + suffix) || t.endsWith("." + suffix));
  }
  get lastUser() { return this.userTexts.at(-1) ?? ""; }
  get text() { return JSON.stringify(this.body); }
}

const textOf = (c) => typeof c === "string" ? c
  : Array.isArray(c) ? c.map(textOf).join("")
  : c && typeof c === "object" ? (c.text ?? c.output ?? (c.content !== undefined ? textOf(c.content) : JSON.stringify(c)))
  : String(c ?? "");

function parseAnthropic(t) {
  const b = t.body;
  t.tools = (b.tools ?? []).map((x) => x.name).filter(Boolean);
  const names = new Map();
  for (const m of b.messages ?? []) {
    const parts = typeof m.content === "string" ? [{ type: "text", text: m.content }] : m.content ?? [];
    if (m.role === "user") t.tail = parts.some((p) => p.type === "tool_result") ? { kind: "result", text: "" } : { kind: "user", text: parts.map((p) => p.text ?? "").join("\n") };
    for (const p of parts) {
      if (p.type === "tool_use") names.set(p.id, p.name);
      else if (p.type === "tool_result") t.results.push({ name: names.get(p.tool_use_id), text: textOf(p.content) });
      else if (p.type === "text" && m.role === "user") t.userTexts.push(p.text);
    }
  }
}

function parseChat(t) {
  const b = t.body;
  t.tools = (b.tools ?? []).map((x) => x.function?.name).filter(Boolean);
  const names = new Map();
  for (const m of b.messages ?? []) {
    for (const c of m.tool_calls ?? []) names.set(c.id, c.function?.name);
    if (m.role === "tool") { t.results.push({ name: names.get(m.tool_call_id), text: textOf(m.content) }); t.tail = { kind: "result", text: "" }; }
    else if (m.role === "user") { t.userTexts.push(textOf(m.content)); t.tail = { kind: "user", text: textOf(m.content) }; }
  }
}

function parseResponses(t) {
  const b = t.body;
  // Codex groups each MCP server's tools in a "namespace" tool; a call names the namespace and the tool apart.
  t.namespaced = new Map();
  for (const x of b.tools ?? []) {
    if (x.type === "namespace") {
      for (const f of x.tools ?? []) { const flat = `${x.name}__${f.name}`; t.tools.push(flat); t.namespaced.set(flat, { namespace: x.name, name: f.name }); }
    } else if (x.name ?? x.function?.name) t.tools.push(x.name ?? x.function?.name);
  }
  const names = new Map();
  for (const i of b.input ?? []) {
    if (i.type === "function_call") names.set(i.call_id, i.namespace ? `${i.namespace}__${i.name}` : i.name);
    else if (i.type === "function_call_output") { t.results.push({ name: names.get(i.call_id), text: textOf(i.output) }); t.tail = { kind: "result", text: "" }; }
    else if ((i.type === "message" || !i.type) && i.role === "user") { t.userTexts.push(textOf(i.content)); t.tail = { kind: "user", text: textOf(i.content) }; }
  }
}

function parseGemini(t) {
  const b = t.body;
  t.tools = (b.tools ?? []).flatMap((x) => (x.functionDeclarations ?? []).map((f) => f.name));
  for (const c of b.contents ?? []) {
    if (c.role === "user") t.tail = (c.parts ?? []).some((p) => p.functionResponse) ? { kind: "result", text: "" } : { kind: "user", text: (c.parts ?? []).map((p) => p.text ?? "").join("\n") };
    for (const p of c.parts ?? []) {
      if (p.functionResponse) t.results.push({ name: p.functionResponse.name, text: textOf(p.functionResponse.response) });
      else if (p.text !== undefined && c.role === "user") t.userTexts.push(p.text);
    }
  }
}

let ids = 0;
const nextId = (p) => `${p}_${Date.now().toString(36)}${(++ids).toString(36)}`;
const sse = (res) => res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });

function answerAnthropic(res, stream, action) {
  const id = nextId("msg");
  const block = action.tool
    ? { type: "tool_use", id: nextId("toolu"), name: action.tool, input: action.args }
    : { type: "text", text: action.text };
  const stop = action.tool ? "tool_use" : "end_turn";
  const usage = { input_tokens: 10, output_tokens: 5, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify({ id, type: "message", role: "assistant", model: "fake", content: [block], stop_reason: stop, stop_sequence: null, usage }));
    return;
  }
  sse(res);
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, ...data })}\n\n`);
  ev("message_start", { message: { id, type: "message", role: "assistant", model: "fake", content: [], stop_reason: null, stop_sequence: null, usage } });
  if (action.tool) {
    ev("content_block_start", { index: 0, content_block: { ...block, input: {} } });
    ev("content_block_delta", { index: 0, delta: { type: "input_json_delta", partial_json: JSON.stringify(action.args) } });
  } else {
    ev("content_block_start", { index: 0, content_block: { type: "text", text: "" } });
    ev("content_block_delta", { index: 0, delta: { type: "text_delta", text: action.text } });
  }
  ev("content_block_stop", { index: 0 });
  ev("message_delta", { delta: { stop_reason: stop, stop_sequence: null }, usage: { output_tokens: 5 } });
  ev("message_stop", {});
  res.end();
}

function answerChat(res, stream, action) {
  const id = nextId("chatcmpl");
  const base = { id, object: "chat.completion.chunk", created: Math.floor(Date.now() / 1000), model: "fake" };
  const call = action.tool && { index: 0, id: nextId("call"), type: "function", function: { name: action.tool, arguments: JSON.stringify(action.args) } };
  const usage = { prompt_tokens: 10, completion_tokens: 5, total_tokens: 15 };
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    const message = call ? { role: "assistant", content: null, tool_calls: [call] } : { role: "assistant", content: action.text };
    res.end(JSON.stringify({ ...base, object: "chat.completion", choices: [{ index: 0, message, finish_reason: call ? "tool_calls" : "stop" }], usage }));
    return;
  }
  sse(res);
  const chunk = (o) => res.write(`data: ${JSON.stringify({ ...base, ...o })}\n\n`);
  chunk({ choices: [{ index: 0, delta: call ? { role: "assistant", tool_calls: [call] } : { role: "assistant", content: action.text }, finish_reason: null }] });
  chunk({ choices: [{ index: 0, delta: {}, finish_reason: call ? "tool_calls" : "stop" }] });
  chunk({ choices: [], usage });
  res.end("data: [DONE]\n\n");
}

function answerResponses(res, action, namespaced) {
  const id = nextId("resp");
  const ns = action.tool && namespaced?.get(action.tool);
  const item = action.tool
    ? { type: "function_call", id: nextId("fc"), call_id: nextId("call"), ...(ns ?? { name: action.tool }), arguments: JSON.stringify(action.args), status: "completed" }
    : { type: "message", id: nextId("msg"), role: "assistant", status: "completed", content: [{ type: "output_text", text: action.text, annotations: [] }] };
  sse(res);
  let n = 0;
  const ev = (type, data) => res.write(`event: ${type}\ndata: ${JSON.stringify({ type, sequence_number: n++, ...data })}\n\n`);
  const response = { id, object: "response", status: "in_progress", model: "fake", output: [] };
  ev("response.created", { response });
  ev("response.output_item.added", { output_index: 0, item: { ...item, status: "in_progress" } });
  if (!action.tool) ev("response.output_text.delta", { item_id: item.id, output_index: 0, content_index: 0, delta: action.text });
  ev("response.output_item.done", { output_index: 0, item });
  const usage = { input_tokens: 10, input_tokens_details: { cached_tokens: 0 }, output_tokens: 5, output_tokens_details: { reasoning_tokens: 0 }, total_tokens: 15 };
  ev("response.completed", { response: { ...response, status: "completed", output: [item], usage } });
  res.end();
}

function answerGemini(res, stream, action) {
  const part = action.tool ? { functionCall: { name: action.tool, args: action.args } } : { text: action.text };
  const body = { candidates: [{ content: { role: "model", parts: [part] }, finishReason: "STOP", index: 0 }], usageMetadata: { promptTokenCount: 10, candidatesTokenCount: 5, totalTokenCount: 15 }, modelVersion: "fake" };
  if (!stream) {
    res.writeHead(200, { "content-type": "application/json" });
    res.end(JSON.stringify(body));
    return;
  }
  sse(res);
  res.write(`data: ${JSON.stringify(body)}\n\n`);
  res.end();
}

/**
 * Starts the fake model. `scripts` maps an agent name to (turn) => ({tool, args} | {text}); `tool` is a bare MCP tool
 * name (send_message), resolved against the tools the client offered. A request that offers no tools at all (a title
 * or summary request) gets plain text and is recorded as a side request.
 */
export async function startFakeModel() {
  const scripts = new Map();
  const turns = []; // main turns: [{agent, api, at, results, userTexts, action}]
  const side = []; // other requests, for debugging
  const waiters = new Set();
  const server = http.createServer((req, res) => {
    let raw = "";
    req.setEncoding("utf8");
    req.on("data", (d) => { raw += d; });
    req.on("end", () => {
      const url = new URL(req.url, "http://x");
      const m = /^\/agent\/([^/]+)(\/.*)$/.exec(url.pathname);
      const agent = m?.[1] ?? "?";
      const path = m?.[2] ?? url.pathname;
      let body = {};
      try { body = raw ? JSON.parse(raw) : {}; } catch { /* keep the raw text in the record */ }
      let api = null;
      if (req.method === "POST" && path.endsWith("/messages")) api = "anthropic";
      else if (req.method === "POST" && path.endsWith("/chat/completions")) api = "chat";
      else if (req.method === "POST" && path.endsWith("/responses")) api = "responses";
      else if (req.method === "POST" && /:(stream)?[gG]enerateContent$/.test(path)) api = "gemini";
      if (!api) {
        side.push({ agent, method: req.method, path, raw });
        if (path.endsWith("/count_tokens") || path.endsWith(":countTokens")) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ input_tokens: 10, totalTokens: 10 }));
        } else if (req.method === "GET" && path.endsWith("/models")) {
          res.writeHead(200, { "content-type": "application/json" });
          res.end(JSON.stringify({ object: "list", data: [{ id: "fake", object: "model", created: 0, owned_by: "fake" }], models: [] }));
        } else {
          res.writeHead(404, { "content-type": "application/json" });
          res.end(JSON.stringify({ error: { message: `fake model: no route for ${req.method} ${path}` } }));
        }
        return;
      }
      const t = new Turn(agent, api, body);
      ({ anthropic: parseAnthropic, chat: parseChat, responses: parseResponses, gemini: parseGemini })[api](t);
      const stream = api === "responses" || api === "gemini" ? path.includes("stream") || api === "responses" : body.stream === true;
      const script = scripts.get(agent);
      let action = null;
      if (script && t.tools.length > 0) {
        try { action = script(t); } catch (e) { action = { text: `fake model script failed: ${e.message}` }; }
      }
      if (action?.tool) {
        const name = t.tool(action.tool);
        action = name ? { tool: name, args: action.args } : { text: `fake model: tool ${action.tool} not offered` };
      }
      const record = { agent, api, path, at: t.at, tools: t.tools, results: t.results, userTexts: t.userTexts, tail: t.tail, action, body };
      if (action) turns.push(record); else side.push(record);
      action ??= { text: "ok" };
      if (api === "anthropic") answerAnthropic(res, stream, action);
      else if (api === "chat") answerChat(res, stream, action);
      else if (api === "responses") answerResponses(res, action, t.namespaced);
      else answerGemini(res, stream, action);
      for (const w of [...waiters]) if (w.test(record)) { waiters.delete(w); w.resolve(record); }
    });
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  const port = server.address().port;
  return {
    port,
    url: (agent) => `http://127.0.0.1:${port}/agent/${agent}`,
    script(agent, fn) { scripts.set(agent, fn); },
    turns,
    side,
    /** Resolves with the first main turn (already seen or coming) that `test` accepts. */
    waitTurn(test, timeoutMs, what) {
      const seen = turns.find(test);
      if (seen) return Promise.resolve(seen);
      return new Promise((resolve, reject) => {
        const w = { test, resolve };
        waiters.add(w);
        setTimeout(() => { if (waiters.delete(w)) reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)); }, timeoutMs).unref();
      });
    },
    close: () => new Promise((r) => { server.closeAllConnections?.(); server.close(() => r()); }),
  };
}
