import { z } from 'zod/v4';

/**
 * Imported first, before any schema is built. zod 4 compiles a fast path for each object schema
 * with `new Function`, which this page's Content-Security-Policy (`script-src 'self'`, no
 * `'unsafe-eval'`) refuses: the browser would report a CSP violation and zod would fall back
 * anyway. Without JIT it parses the same, and nothing asks for eval.
 */
z.config({ jitless: true });
