// Both MCP revisions on one `meshfleet serve` /mcp:
// - the TypeScript SDK client (1.32.2 sends initialize, 2025-11-25) gets a session, as before;
// - a 2026-07-28 client (server/discover, no initialize, no Mcp-Session-Id, no GET stream) is served per request.
// No TypeScript SDK release we can install speaks 2026-07-28 yet, so that side is plain fetch() with the revision's
// per-request `_meta` and headers.
//
//   npm ci && MESHFLEET_BIN=/path/to/meshfleet node --test revisions.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { MESHFLEET_BIN, TIMEOUT_MS, freePort } from './support.mjs';

const MODERN = '2026-07-28';

// The JSON-RPC reply of one POST, whether the server answered with JSON or with a one-event SSE body.
async function replyOf(response) {
  const text = await response.text();
  if ((response.headers.get('content-type') ?? '').includes('text/event-stream')) {
    const data = text.split(/\r?\n/).filter((l) => l.startsWith('data:')).map((l) => l.slice(5).trim()).filter((l) => l.startsWith('{'));
    return JSON.parse(data.at(-1));
  }
  return JSON.parse(text);
}

describe('one /mcp for 2026-07-28 and initialize clients', () => {
  let dir, server, url, stderr = '', sdk;
  let nextId = 1;

  // One 2026-07-28 request: the revision in the header and in _meta, no session.
  async function modern(method, params = {}, name) {
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': MODERN,
      'mcp-method': method,
    };
    if (name) headers['mcp-name'] = name;
    const body = {
      jsonrpc: '2.0',
      id: nextId++,
      method,
      params: {
        ...params,
        _meta: {
          'io.modelcontextprotocol/protocolVersion': MODERN,
          'io.modelcontextprotocol/clientInfo': { name: 'raw-2026', version: '1.0.0' },
          'io.modelcontextprotocol/clientCapabilities': {},
        },
      },
    };
    const response = await fetch(url, { method: 'POST', headers, body: JSON.stringify(body), signal: AbortSignal.timeout(TIMEOUT_MS) });
    return { response, reply: await replyOf(response) };
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshfleet-revisions-'));
    const port = await freePort();
    url = `http://127.0.0.1:${port}/mcp`;
    server = spawn(MESHFLEET_BIN, ['serve'], {
      env: { ...process.env, MESHFLEET_DB: path.join(dir, 'mesh.db'), MESHFLEET_SSE_PORT: String(port) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`serve did not listen:\n${stderr}`)), TIMEOUT_MS);
      server.stderr.on('data', (chunk) => {
        stderr += chunk;
        if (stderr.includes('SSE listening')) { clearTimeout(timer); resolve(); }
      });
      server.once('exit', (code) => { clearTimeout(timer); reject(new Error(`serve exited ${code}:\n${stderr}`)); });
    });
    sdk = new Client({ name: 'interop-2025', version: '1.0.0' });
    await sdk.connect(new StreamableHTTPClientTransport(new URL(url)));
  });

  after(async () => {
    await sdk?.close();
    server?.kill();
    await rm(dir, { recursive: true, force: true });
  });

  it('the TypeScript SDK client initializes and gets a session', () => {
    assert.equal(sdk.getServerVersion().name, 'meshfleet');
    assert.ok(sdk.transport.sessionId, 'an initialize client has an Mcp-Session-Id');
  });

  it('server/discover answers a 2026-07-28 client without minting a session', async () => {
    const { response, reply } = await modern('server/discover');
    assert.equal(response.status, 200, JSON.stringify(reply));
    assert.equal(response.headers.get('mcp-session-id'), null);
    assert.ok(reply.result.supportedVersions.includes(MODERN), JSON.stringify(reply.result));
  });

  it('both revisions list the same tools in the same order', async () => {
    const { reply } = await modern('tools/list');
    const old = await sdk.listTools();
    assert.deepEqual(reply.result.tools.map((t) => t.name), old.tools.map((t) => t.name));
  });

  it('a message sent without a session reaches the session client', async () => {
    const { reply } = await modern('tools/call', { name: 'send_message', arguments: { from_agent_id: 'modern', to_agent_id: 'classic', payload: 'across revisions' } }, 'send_message');
    assert.notEqual(reply.result.isError, true, JSON.stringify(reply));
    const inbox = await sdk.callTool({ name: 'get_inbox', arguments: { agent_id: 'classic' } });
    assert.equal(inbox.structuredContent.messages[0].payload, 'across revisions');
  });

  it('GET /mcp is no stream for a 2026-07-28 client', async () => {
    const response = await fetch(url, { headers: { accept: 'text/event-stream', 'mcp-protocol-version': MODERN }, signal: AbortSignal.timeout(TIMEOUT_MS) });
    await response.body?.cancel();
    assert.equal(response.status, 405);
  });
});
