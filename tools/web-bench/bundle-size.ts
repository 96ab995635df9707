import { readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export interface BundleFile {
  file: string;
  bytes: number;
  gzipBytes: number;
}

export interface BundleSize {
  files: BundleFile[];
  /** Every JavaScript file the page loads (the service worker is not counted: it is not run by the page). */
  js: { bytes: number; gzipBytes: number };
  css: { bytes: number; gzipBytes: number };
  html: { bytes: number; gzipBytes: number };
}

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

/** Sizes of the built web client (`dist/web`), raw and gzipped (level 6, a server's usual). */
export function bundleSize(webRoot: string): BundleSize {
  const files = walk(webRoot)
    .filter((path) => ['.js', '.css', '.html'].includes(extname(path)))
    .map((path) => {
      const content = readFileSync(path);
      return {
        file: relative(webRoot, path),
        bytes: content.length,
        gzipBytes: gzipSync(content, { level: 6 }).length,
      };
    })
    .sort((a, b) => a.file.localeCompare(b.file));
  const total = (match: (f: BundleFile) => boolean) =>
    files
      .filter(match)
      .reduce(
        (sum, f) => ({ bytes: sum.bytes + f.bytes, gzipBytes: sum.gzipBytes + f.gzipBytes }),
        { bytes: 0, gzipBytes: 0 },
      );
  return {
    files,
    js: total((f) => f.file.endsWith('.js') && f.file !== 'sw.js'),
    css: total((f) => f.file.endsWith('.css')),
    html: total((f) => f.file.endsWith('.html')),
  };
}
