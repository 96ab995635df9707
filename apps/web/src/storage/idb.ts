/**
 * A small promise wrapper over IndexedDB: one database (`parley`), three object stores: `outbox`
 * (one record per user: that user's unsent messages), `states` (one record per user: the
 * conversation states sync v2 sends, without message text) and `cache` (what the page shows before
 * the server answers, e.g. the conversation list). Data survives a reload or a closed tab.
 */
const DB_NAME = 'parley';
const DB_VERSION = 2;
const STORES = ['outbox', 'states', 'cache'] as const;
export type StoreName = (typeof STORES)[number];

let opening: Promise<IDBDatabase> | undefined;

function open(): Promise<IDBDatabase> {
  opening ??= new Promise((resolve, reject) => {
    const request = indexedDB.open(DB_NAME, DB_VERSION);
    request.onupgradeneeded = () => {
      const db = request.result;
      for (const name of STORES) {
        if (!db.objectStoreNames.contains(name)) db.createObjectStore(name);
      }
    };
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error ?? new Error('IndexedDB unavailable'));
  });
  return opening;
}

function done(tx: IDBTransaction): Promise<void> {
  return new Promise((resolve, reject) => {
    tx.oncomplete = () => resolve();
    tx.onabort = () => reject(tx.error ?? new Error('IndexedDB transaction aborted'));
    tx.onerror = () => reject(tx.error ?? new Error('IndexedDB transaction failed'));
  });
}

export async function idbGet(store: StoreName, key: string): Promise<unknown> {
  const db = await open();
  const tx = db.transaction(store, 'readonly');
  const request = tx.objectStore(store).get(key);
  await done(tx);
  return request.result as unknown;
}

/**
 * Reads `key`, applies `change` and writes the result in ONE readwrite transaction: two tabs
 * changing the same record never lose each other's change. Returns what was written.
 */
export async function idbUpdate<T>(
  store: StoreName,
  key: string,
  change: (current: unknown) => T,
): Promise<T> {
  const db = await open();
  const tx = db.transaction(store, 'readwrite');
  const objects = tx.objectStore(store);
  let result!: T;
  const read = objects.get(key);
  read.onsuccess = () => {
    result = change(read.result as unknown);
    objects.put(result, key);
  };
  await done(tx);
  return result;
}

export async function idbDelete(store: StoreName, key: string): Promise<void> {
  const db = await open();
  const tx = db.transaction(store, 'readwrite');
  tx.objectStore(store).delete(key);
  await done(tx);
}
