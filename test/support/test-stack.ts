import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/** What the e2e global set-up launched; written to .data/test-stack.json for the test workers. */
export interface TestStack {
  gateways: string[];
  session: string;
  presence: string;
  storage: string;
  databaseUrl: string;
  redisUrl: string;
  kafkaBrokers: string[];
  /** Control URL of the proxy between storage and PostgreSQL (see support/blockable-proxy.ts). */
  storageDatabaseProxy: string;
}

export const TEST_STACK_FILE = join(__dirname, '..', '..', '.data', 'test-stack.json');

export function testStack(): TestStack {
  return JSON.parse(readFileSync(TEST_STACK_FILE, 'utf8')) as TestStack;
}
