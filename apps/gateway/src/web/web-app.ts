import { Logger } from '@nestjs/common';
import type { NestExpressApplication } from '@nestjs/platform-express';
import express, { type NextFunction, type Request, type Response } from 'express';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The web client's security headers. No script but the app's own files (no inline script, no
 * eval), no framing, no plugins; sockets may go to any gateway (the directory picks one, possibly
 * on another port or host), HTTP only to this origin.
 */
export const WEB_APP_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "connect-src 'self' ws: wss:",
  "worker-src 'self'",
  "manifest-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "object-src 'none'",
].join('; ');

/** Paths that are the API, never the app: an unknown one is the API's 404, not the app. */
const API_PREFIXES = ['/v1/', '/health/', '/metrics', '/ws'];

const isApi = (path: string): boolean => API_PREFIXES.some((p) => path === p || path.startsWith(p));

function webHeaders(res: Response): void {
  res.setHeader('Content-Security-Policy', WEB_APP_CSP);
  res.setHeader('X-Frame-Options', 'DENY');
  res.setHeader('Referrer-Policy', 'no-referrer');
}

/**
 * Serves the web client (apps/web, built by Vite into `root`) from the gateway's own origin:
 * its files, and `index.html` for any other page path (the app routes in the browser). Hashed
 * build assets may be cached for good; the page and the service worker never are. Without a
 * build (`npm run build:web`) nothing is served and the API is unaffected.
 */
export function serveWebApp(app: NestExpressApplication, root: string): void {
  const logger = new Logger('WebApp');
  const index = join(root, 'index.html');
  if (!existsSync(index)) {
    logger.warn({ root }, 'no web client build here: the gateway serves the API only');
    return;
  }
  const files = express.static(root, {
    index: false,
    setHeaders: (res, path) => {
      webHeaders(res);
      if (path.includes(`${join(root, 'assets')}`)) {
        res.setHeader('Cache-Control', 'public, max-age=31536000, immutable');
      }
    },
  });
  // An API request never looks for a file (the static middleware stats one per GET otherwise).
  app.use((req: Request, res: Response, next: NextFunction): void => {
    if (isApi(req.path)) next();
    else void files(req, res, next);
  });
  app.use((req: Request, res: Response, next: NextFunction) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return next();
    if (isApi(req.path)) return next();
    if (!req.accepts('html')) return next();
    webHeaders(res);
    res.sendFile(index);
  });
  logger.log({ root }, 'serving the web client');
}
