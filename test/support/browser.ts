import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';

export { launchChromium } from '../../tools/web-bench/chromium';

/** Screenshots of the main screens, kept as test artifacts. */
export const ARTIFACTS = join(__dirname, '..', '..', '.data', 'test-artifacts', 'web');

export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(ARTIFACTS, { recursive: true });
  await page.screenshot({ path: join(ARTIFACTS, `${name}.png`) });
}
