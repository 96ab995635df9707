import { createSecretKey, KeyObject } from 'node:crypto';

const keys = new Map<string, KeyObject>();

/**
 * The HS256 key as a KeyObject, made once per secret. Given a string, jsonwebtoken first tries to
 * parse it as a PEM public key (and throws), then builds a secret key, on EVERY sign and verify:
 * a measurable share of the gateway's CPU on authenticated requests such as `POST /v1/connect`.
 * jsonwebtoken accepts a KeyObject as is; @nestjs/jwt and passport-jwt pass it through, though
 * their option types only name string | Buffer (hence the cast at the call sites).
 */
export function jwtKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (!key) {
    key = createSecretKey(Buffer.from(secret, 'utf8'));
    keys.set(secret, key);
  }
  return key;
}

/** The key typed as the libraries' option types declare it (runtime value: the KeyObject). */
export function jwtKeyOption(secret: string): Buffer {
  return jwtKey(secret) as unknown as Buffer;
}
