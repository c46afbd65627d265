// Runs graphql-http's server audits against the URL given as the first argument
// and prints the results as one JSON line: [{id, name, status, reason}].
import { auditServer } from 'graphql-http';

const url = process.argv[2];
if (!url) {
  console.error('usage: node http-audit.mjs <url>');
  process.exit(2);
}
const results = await auditServer({ url, fetchFn: fetch });
console.log(
  JSON.stringify(
    results.map((result) => ({
      id: result.id,
      name: result.name,
      status: result.status,
      reason: result.status === 'ok' ? null : result.reason,
    })),
  ),
);
