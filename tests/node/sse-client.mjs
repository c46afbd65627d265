// Subscribes with the graphql-sse client ("distinct connections" mode) and prints
// the results it received as one JSON line.
// usage: node sse-client.mjs <url> <query> [variables JSON] [count to wait for]
import { createClient } from 'graphql-sse';

const [url, query, variables = '{}', limit = '0'] = process.argv.slice(2);
const client = createClient({ url, singleConnection: false, retryAttempts: 0 });
const results = [];
try {
  for await (const result of client.iterate({ query, variables: JSON.parse(variables) })) {
    results.push(result);
    // Tell the test that the subscription is live (it then publishes).
    console.log(JSON.stringify({ progress: results.length }));
    if (Number(limit) && results.length >= Number(limit)) break;
  }
  console.log(JSON.stringify({ results }));
} catch (error) {
  console.log(JSON.stringify({ results, error: String(error && (error.message || error)) }));
} finally {
  client.dispose();
}
