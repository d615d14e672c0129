// Interop test: a bound meshfleet (MESHFLEET_AGENT_ID) wakes a TypeScript SDK client session with
// notifications/claude/channel, the way Claude Code (a TypeScript client) receives them, and the text a
// model reads keeps non-ASCII and <>&' as they are.
//
//   npm ci && MESHFLEET_BIN=/path/to/meshfleet node --test channel.mjs

import { describe, it, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport, getDefaultEnvironment } from '@modelcontextprotocol/sdk/client/stdio.js';
import { MESHFLEET_BIN, TIMEOUT_MS, freePort } from './support.mjs';

const PLAIN = "日本語 <b>&</b> 'q'";

describe('meshfleet channel (TypeScript SDK client, bound process)', { timeout: 4 * TIMEOUT_MS }, () => {
  let dir;
  const clients = [];
  const channel = []; // notifications/claude/channel params, in arrival order
  let arrived = () => {};

  async function connect(extraEnv, onNotification) {
    const port = await freePort();
    const transport = new StdioClientTransport({
      command: MESHFLEET_BIN,
      args: [],
      env: {
        ...getDefaultEnvironment(),
        XDG_DATA_HOME: dir,
        MESHFLEET_DB: path.join(dir, 'meshfleet.db'),
        MESHFLEET_SSE_PORT: String(port),
        ...extraEnv,
      },
      stderr: 'ignore',
    });
    const client = new Client({ name: 'meshfleet-channel', version: '0.0.0' });
    if (onNotification) client.fallbackNotificationHandler = onNotification;
    await client.connect(transport, { timeout: TIMEOUT_MS });
    clients.push(client);
    return client;
  }

  before(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'meshfleet-channel-'));
  });

  after(async () => {
    for (const client of clients) await client.close();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('a message to the bound agent arrives as one channel notification with its meta, unescaped', async () => {
    const bound = await connect({ MESHFLEET_AGENT_ID: 'reviewer' }, async (notification) => {
      if (notification.method === 'notifications/claude/channel') {
        channel.push(notification.params);
        arrived();
      }
    });
    assert.ok(bound.getServerCapabilities()?.experimental?.['claude/channel'], 'claude/channel is declared');
    assert.match(bound.getInstructions() ?? '', /You are agent 'reviewer'/);

    const sender = await connect({});
    const waitForOne = new Promise((resolve) => { arrived = resolve; });
    const sent = await sender.callTool({ name: 'send_message', arguments: { from_agent_id: 'author', to_agent_id: 'reviewer', payload: PLAIN, thread_id: 'pr-12' } }, undefined, { timeout: TIMEOUT_MS });
    assert.ok(!sent.isError);
    const { message_id, seq } = sent.structuredContent;
    let timer;
    await Promise.race([waitForOne, new Promise((_, reject) => { timer = setTimeout(() => reject(new Error('no channel notification')), TIMEOUT_MS); })]);
    clearTimeout(timer);

    assert.equal(channel.length, 1);
    const { content, meta } = channel[0];
    assert.deepEqual(meta, { from_agent_id: 'author', to_agent_id: 'reviewer', message_id, seq: String(seq), timestamp: meta.timestamp, thread_id: 'pr-12' });
    for (const key of Object.keys(meta)) assert.match(key, /^[A-Za-z0-9_]+$/);
    assert.ok(content.includes(PLAIN), content);
    assert.ok(content.includes(message_id), content);

    // The bound session reads its own inbox without naming itself; the text block keeps the payload as it is.
    const inbox = await bound.callTool({ name: 'get_inbox', arguments: {} }, undefined, { timeout: TIMEOUT_MS });
    assert.ok(!inbox.isError);
    assert.ok(inbox.content[0].text.includes(`"payload":"${PLAIN}"`), inbox.content[0].text);
    const status = await sender.callTool({ name: 'get_message_status', arguments: { message_id } }, undefined, { timeout: TIMEOUT_MS });
    assert.equal(status.structuredContent.status, 'read');
    assert.equal(status.structuredContent.notified_sessions, 1);
  });
});
