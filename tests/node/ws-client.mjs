// Runs GraphQL operations with the npm graphql-ws client over one WebSocket and
// prints what happened as one JSON line.
// usage: node ws-client.mjs <ws url> <operations JSON> [connectionParams JSON]
//   operations: [{"query": "...", "variables": {...}, "limit": n}], run concurrently;
//   an operation stops after `limit` results (0: until the server completes it).
// Node 20 has no global WebSocket: the `ws` package provides it.
import { createClient } from 'graphql-ws';
import WebSocket from 'ws';

const [url, operationsJson, paramsJson = 'null'] = process.argv.slice(2);
const operations = JSON.parse(operationsJson);
let ack = null;
let closeCode = null;
let pongs = 0;
const client = createClient({
  url,
  webSocketImpl: WebSocket,
  connectionParams: JSON.parse(paramsJson) ?? undefined,
  retryAttempts: 0,
  lazy: false,
  keepAlive: 100,
  on: {
    connected: (_socket, payload) => { ack = payload ?? null; },
    pong: (received) => { if (received) pongs += 1; },
    closed: (event) => { closeCode = event && event.code; },
  },
});

async function run({ query, variables = {}, limit = 0 }) {
  const results = [];
  try {
    for await (const result of client.iterate({ query, variables })) {
      results.push(result);
      if (limit && results.length >= limit) break;
    }
    return { results };
  } catch (error) {
    const text = Array.isArray(error)
      ? error.map((e) => e.message).join('; ')
      : String((error && (error.message || error.reason || error.code)) ?? error);
    return { results, error: text, code: error && error.code };
  }
}

const outcome = await Promise.all(operations.map(run));
// Let a keep-alive ping round trip happen before leaving.
await new Promise((resolve) => setTimeout(resolve, 250));
await client.dispose();
console.log(JSON.stringify({ operations: outcome, ack, pongs, closeCode }));
