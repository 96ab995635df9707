/** WebSocket upgrades every gateway admitted so far, by how they were let in (`parley_ws_upgrades_total`). */
export async function upgradesByWay(gateways: readonly string[]): Promise<Record<string, number>> {
  const total: Record<string, number> = {};
  for (const gateway of gateways) {
    const text = await (await fetch(`${gateway}/metrics`)).text();
    for (const [, via, n] of text.matchAll(
      /^parley_ws_upgrades_total\{[^}]*via="(\w+)"[^}]*\} (\d+)/gm,
    )) {
      total[via] = (total[via] ?? 0) + Number(n);
    }
  }
  return total;
}

/** What each way added between two readings of `upgradesByWay`. */
export function upgradesAdded(
  before: Record<string, number>,
  after: Record<string, number>,
): (via: string) => number {
  return (via) => (after[via] ?? 0) - (before[via] ?? 0);
}
