/**
 * Writes the API documents generated from the schemas: docs/api/openapi.json (the client HTTP API,
 * from HTTP_ROUTES) and docs/api/asyncapi.json (the WebSocket frames and the Kafka topics).
 *
 *   npm run build && node dist/tools/api-docs/generate.js
 *
 * api-docs.spec.ts fails while the committed files differ from what this would write.
 */
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { buildAsyncApiDocument, buildOpenApiDocument } from '@parley/common/api-docs';

/** The repository root, from tools/api-docs or from dist/tools/api-docs. */
function findRepoRoot(from: string): string {
  let dir = from;
  while (!existsSync(join(dir, 'nest-cli.json'))) {
    const parent = dirname(dir);
    if (parent === dir) throw new Error(`no repository root above ${from}`);
    dir = parent;
  }
  return dir;
}

export const API_DOCS_DIR = join(findRepoRoot(__dirname), 'docs', 'api');

/** 2-space JSON and a final newline. */
export function renderJson(document: Record<string, unknown>): string {
  return `${JSON.stringify(document, null, 2)}\n`;
}

/** File name -> content, as they are committed under docs/api. */
export function renderApiDocs(): Record<string, string> {
  return {
    'openapi.json': renderJson(buildOpenApiDocument()),
    'asyncapi.json': renderJson(buildAsyncApiDocument()),
  };
}

function main(): void {
  mkdirSync(API_DOCS_DIR, { recursive: true });
  for (const [name, content] of Object.entries(renderApiDocs())) {
    const path = join(API_DOCS_DIR, name);
    writeFileSync(path, content);
    process.stdout.write(`wrote ${path}\n`);
  }
}

if (require.main === module) main();
