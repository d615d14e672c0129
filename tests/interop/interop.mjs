// Interop test: drives meshfleet with the official MCP TypeScript SDK client over stdio,
// then checks the SSE push path with plain fetch().
//
//   npm ci && MESHFLEET_BIN=/path/to/meshfleet node --test interop.mjs
//
// MESHFLEET_BIN defaults to ../../out/meshfleet relative to this file.

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MESHFLEET_BIN, TIMEOUT_MS, freePort } from './support.mjs';

const SEMVER = /^\d+\.\d+\.\d+(?:-[0-9A-Za-z.-]+)?(?:\+[0-9A-Za-z.-]+)?$/;

function textOf(result) {
  return (result.content ?? [])
    .filter((c) => c.type === 'text')
    .map((c) => c.text)
    .join('\n');
}

// Minimal SSE reader: yields {id, event, data} for each event block; comments and
// `retry:`-only blocks are skipped. Line endings are normalised first because the SSE
// grammar allows CRLF, LF and CR.
async function* sseEvents(body) {
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of body) {
    buffer += decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    let sep;
    while ((sep = buffer.indexOf('\n\n')) !== -1) {
      const block = buffer.slice(0, sep);
      buffer = buffer.slice(sep + 2);
      const event = { id: undefined, event: 'message', data: undefined };
      let sawData = false;
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const colon = line.indexOf(':');
        const field = colon === -1 ? line : line.slice(0, colon);
        let value = colon === -1 ? '' : line.slice(colon + 1);
        if (value.startsWith(' ')) value = value.slice(1);
        if (field === 'id') event.id = value;
        else if (field === 'event') event.event = value;
        else if (field === 'data') {
          event.data = sawData ? `${event.data}\n${value}` : value;
          sawData = true;
        }
      }
      if (sawData) yield event;
    }
  }
}

describe('meshfleet interop (TypeScript SDK client)', { timeout: 4 * TIMEOUT_MS }, () => {
  let dir;
  let transport;
  let client;
  let stderr = '';
  let first; // the first message sent, as returned by get_inbox

  const call = (name, args) =>
    client.callTool({ name, arguments: args }, undefined, { timeout: TIMEOUT_MS });

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshfleet-interop-'));
    const port = await freePort();
    transport = new StdioClientTransport({
      command: MESHFLEET_BIN,
      args: [],
      env: {
        ...getDefaultEnvironment(), // PATH, HOME, ...
        // Keep the server away from the user's real data directory.
        XDG_DATA_HOME: dir,
        MESHFLEET_DB: path.join(dir, 'meshfleet.db'),
        MESHFLEET_SSE_PORT: String(port),
      },
      stderr: 'pipe',
    });
    // Kept for diagnostics only: printed if a test fails.
    transport.stderr?.on('data', (d) => { stderr += d; });
    client = new Client({ name: 'meshfleet-interop', version: '0.0.0' });
    await client.connect(transport, { timeout: TIMEOUT_MS });
  });

  after(async () => {
    await client?.close(); // closing stdio ends the server process
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  // Surface the server's stderr when something went wrong.
  process.on('exit', (code) => {
    if (code !== 0 && stderr) process.stderr.write(`--- meshfleet stderr ---\n${stderr}\n`);
  });

  it('initialize reports serverInfo meshfleet with a semver version', () => {
    const info = client.getServerVersion();
    assert.equal(info?.name, 'meshfleet');
    assert.match(info.version, SEMVER);
  });

  it('tools/list has the seed tools with input/output schemas and annotations', async () => {
    const { tools } = await client.listTools(undefined, { timeout: TIMEOUT_MS });
    for (const name of ['send_message', 'get_inbox', 'subscribe_inbox']) {
      const tool = tools.find((t) => t.name === name);
      assert.ok(tool, `tool ${name} is listed`);
      assert.equal(tool.inputSchema?.type, 'object', `${name}.inputSchema`);
      assert.equal(tool.outputSchema?.type, 'object', `${name}.outputSchema`);
      assert.ok(tool.annotations && typeof tool.annotations === 'object', `${name}.annotations`);
    }
  });

  it('send_message then get_inbox returns the exact message', async () => {
    const sent = await call('send_message', {
      from_agent_id: 'ts-a',
      to_agent_id: 'ts-b',
      payload: 'hello from typescript',
    });
    assert.ok(!sent.isError, textOf(sent));
    const { message_id, seq, timestamp } = sent.structuredContent ?? {};
    assert.equal(typeof message_id, 'string');
    assert.ok(Number.isInteger(seq), 'seq is an integer');
    assert.equal(typeof timestamp, 'number');

    const inbox = await call('get_inbox', { agent_id: 'ts-b' });
    assert.ok(!inbox.isError, textOf(inbox));
    first = inbox.structuredContent.messages.find((m) => m.message_id === message_id);
    assert.deepEqual(first, {
      message_id,
      seq,
      from_agent_id: 'ts-a',
      to_agent_id: 'ts-b',
      payload: 'hello from typescript',
      timestamp,
    });
    assert.equal(inbox.structuredContent.next_since, seq);

    const after = await call('get_inbox', { agent_id: 'ts-b', since: seq });
    assert.ok(!after.isError, textOf(after));
    assert.deepEqual(after.structuredContent.messages, []);
  });

  it('subscribe_inbox stream pushes a newly sent message over SSE', async () => {
    assert.ok(first, 'depends on the previous test');
    const sub = await call('subscribe_inbox', { agent_id: 'ts-b' });
    assert.ok(!sub.isError, textOf(sub));
    const url = sub.structuredContent?.stream_url;
    assert.equal(typeof url, 'string');

    const ac = new AbortController();
    const timer = setTimeout(
      () => ac.abort(new Error(`no SSE event within ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
    try {
      // fetch() resolves once the response headers are in, i.e. the subscription is live.
      const res = await fetch(url, { headers: { accept: 'text/event-stream' }, signal: ac.signal });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);

      const sent = await call('send_message', {
        from_agent_id: 'ts-a',
        to_agent_id: 'ts-b',
        payload: 'pushed over sse',
      });
      assert.ok(!sent.isError, textOf(sent));
      const { message_id, seq, timestamp } = sent.structuredContent;
      assert.ok(seq > first.seq, 'seq increases');

      let pushed;
      for await (const ev of sseEvents(res.body)) {
        // Anything before our message (e.g. a replay) is not what this test is about.
        if (ev.id === String(seq)) { pushed = ev; break; }
      }
      assert.ok(pushed, 'stream ended before the message arrived');
      assert.equal(pushed.event, 'message');
      assert.deepEqual(JSON.parse(pushed.data), {
        message_id,
        seq,
        from_agent_id: 'ts-a',
        to_agent_id: 'ts-b',
        payload: 'pushed over sse',
        timestamp,
      });
    } finally {
      clearTimeout(timer);
      ac.abort(); // closes the stream
    }
  });

  it('send_message with an invalid to_agent_id is a tool error naming the argument', async () => {
    const res = await call('send_message', {
      from_agent_id: 'ts-a',
      to_agent_id: '../x',
      payload: 'nope',
    });
    assert.equal(res.isError, true);
    assert.match(textOf(res), /to_agent_id/);
  });
});
