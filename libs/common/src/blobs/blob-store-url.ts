import { fileURLToPath } from 'node:url';

const SUPPORTED =
  'supported: file:///absolute/dir, s3://bucket[/prefix][?endpoint=URL&region=R&forcePathStyle=true]';

/** Where a deployment keeps its blobs, as its BLOB_STORE_URL names it. */
export type BlobStoreLocation =
  | { kind: 'file'; dir: string }
  | {
      kind: 's3';
      bucket: string;
      /** '' or a key prefix ending in '/'. */
      prefix: string;
      /** An S3-compatible server's base URL; absent: AWS S3 itself. */
      endpoint?: string;
      region: string;
      forcePathStyle: boolean;
    };

/** The blob store's settings every process that touches blobs validates (gateway, storage, image worker). */
export interface BlobStoreSettings {
  BLOB_STORE_URL: string;
  /** The S3 store's key pair; when absent the AWS SDK's own chain (AWS_* variables, instance role). */
  BLOB_STORE_ACCESS_KEY_ID?: string;
  BLOB_STORE_SECRET_ACCESS_KEY?: string;
}

/**
 * Reads a BLOB_STORE_URL. Errors name the scheme at most, never the whole URL; an S3 URL may not
 * carry credentials (they would end up wherever URLs are printed): they come from
 * BLOB_STORE_ACCESS_KEY_ID / BLOB_STORE_SECRET_ACCESS_KEY.
 */
export function parseBlobStoreUrl(url: string): BlobStoreLocation {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    throw new Error(`blob store URL is not a URL (${SUPPORTED})`);
  }
  if (parsed.protocol === 'file:') {
    try {
      return { kind: 'file', dir: fileURLToPath(parsed) };
    } catch {
      throw new Error(`blob store file URL must have no host (${SUPPORTED})`);
    }
  }
  if (parsed.protocol !== 's3:') {
    throw new Error(`blob store URL scheme "${parsed.protocol}" is not supported (${SUPPORTED})`);
  }
  if (parsed.username !== '' || parsed.password !== '') {
    throw new Error(
      'blob store URL must not carry credentials: set BLOB_STORE_ACCESS_KEY_ID and BLOB_STORE_SECRET_ACCESS_KEY',
    );
  }
  const bucket = parsed.hostname;
  if (!/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(bucket)) {
    throw new Error(`blob store S3 URL needs a valid bucket name (${SUPPORTED})`);
  }
  const path = decodeURIComponent(parsed.pathname).replace(/^\/+|\/+$/g, '');
  const known = new Set(['endpoint', 'region', 'forcePathStyle']);
  for (const name of parsed.searchParams.keys()) {
    if (!known.has(name)) throw new Error(`blob store S3 URL has an unknown option "${name}"`);
  }
  const endpoint = parsed.searchParams.get('endpoint') ?? undefined;
  if (endpoint !== undefined && !/^https?:\/\/[^/?#@\s]+\/?$/.test(endpoint)) {
    throw new Error('blob store S3 endpoint must be http(s)://host[:port]');
  }
  const forcePathStyle = parsed.searchParams.get('forcePathStyle') ?? 'false';
  if (forcePathStyle !== 'true' && forcePathStyle !== 'false') {
    throw new Error('blob store S3 forcePathStyle must be true or false');
  }
  return {
    kind: 's3',
    bucket,
    prefix: path === '' ? '' : `${path}/`,
    endpoint,
    region: parsed.searchParams.get('region') ?? 'us-east-1',
    forcePathStyle: forcePathStyle === 'true',
  };
}
