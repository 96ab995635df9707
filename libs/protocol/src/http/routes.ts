import type { ZodType } from 'zod/v4';
import { errorBodySchema } from '../errors';
import {
  loginAnswerSchema,
  loginBodySchema,
  refreshTokenBodySchema,
  registerBodySchema,
  settingsBodySchema,
  settingsViewSchema,
  tokenPairSchema,
  userAnswerSchema,
  webSessionAnswerSchema,
} from './accounts';
import { connectAnswerSchema, connectBodySchema } from './connect';
import { imageParamsSchema, imageUploadAnswerSchema } from '../image';
import {
  conversationAnswerSchema,
  conversationParamsSchema,
  conversationsAnswerSchema,
  channelsAnswerSchema,
  channelsQuerySchema,
  createConversationBodySchema,
  historyPageSchema,
  historyQuerySchema,
  messageParamsSchema,
  messageReceiptsAnswerSchema,
  readCursorBodySchema,
} from './conversations';
import {
  contactParamsSchema,
  contactsAnswerSchema,
  presenceAnswerSchema,
  presenceQuerySchema,
  userSearchQuerySchema,
  usersAnswerSchema,
} from './people';
import { liveAnswerSchema, readinessAnswerSchema } from './service';

export type HttpMethod = 'GET' | 'POST' | 'PUT' | 'DELETE';

export interface HttpAnswer {
  description: string;
  schema?: ZodType;
}

/** One route of the gateway's HTTP API: what it takes and what it answers. */
export interface HttpRoute {
  method: HttpMethod;
  /** With `{param}` placeholders, as OpenAPI writes them. */
  path: string;
  summary: string;
  /** Needs `Authorization: Bearer <accessToken>`. */
  auth: boolean;
  params?: ZodType;
  query?: ZodType;
  body?: ZodType;
  answers: Record<number, HttpAnswer>;
}

const error = (description: string): HttpAnswer => ({ description, schema: errorBodySchema });
const INVALID = { 400: error('a field is missing, of the wrong type, out of range or unknown') };
const UNAUTHORIZED = { 401: error('missing, invalid or expired access token, or ended session') };
const FORBIDDEN = { 403: error('not a member of this conversation (or no such conversation)') };

/**
 * The gateway's client HTTP API, the one list: the gateway validates each body, query and path
 * with these schemas, clients parse each answer with them, the OpenAPI document is generated from
 * them, and a test checks the gateway's controllers serve exactly these routes.
 */
export const HTTP_ROUTES: readonly HttpRoute[] = [
  {
    method: 'POST',
    path: '/v1/auth/register',
    summary: 'Create an account',
    auth: false,
    body: registerBodySchema,
    answers: {
      201: { description: 'the account', schema: userAnswerSchema },
      ...INVALID,
      409: error('the username (or a look-alike) or the email is already registered'),
      429: error('too many registrations from this address (Retry-After)'),
    },
  },
  {
    method: 'POST',
    path: '/v1/auth/login',
    summary: 'Log in: start a session',
    auth: false,
    body: loginBodySchema,
    answers: {
      200: { description: 'tokens and the account', schema: loginAnswerSchema },
      ...INVALID,
      401: error('wrong username or password'),
      429: error('too many failed log-ins for this username from this address (Retry-After)'),
    },
  },
  {
    method: 'POST',
    path: '/v1/auth/refresh',
    summary: 'Exchange a refresh token for a new pair (rotation)',
    auth: false,
    body: refreshTokenBodySchema,
    answers: {
      200: { description: 'a new token pair', schema: tokenPairSchema },
      ...INVALID,
      401: error('unknown, expired or revoked refresh token; reuse ends the session'),
    },
  },
  {
    method: 'POST',
    path: '/v1/auth/logout',
    summary: 'End the session: tokens refused, sockets closed (4001)',
    auth: true,
    body: refreshTokenBodySchema,
    answers: { 204: { description: 'the session ended' }, ...INVALID, ...UNAUTHORIZED },
  },
  {
    method: 'POST',
    path: '/v1/auth/web/login',
    summary:
      'Log in from a browser: the refresh token goes into an HttpOnly cookie (needs X-Parley-Web: 1)',
    auth: false,
    body: loginBodySchema,
    answers: {
      200: { description: 'the access token and the account', schema: webSessionAnswerSchema },
      ...INVALID,
      401: error('wrong username or password'),
      403: error('the X-Parley-Web header is missing'),
      429: error('too many failed log-ins for this username from this address (Retry-After)'),
    },
  },
  {
    method: 'POST',
    path: '/v1/auth/web/refresh',
    summary: "Resume or renew a browser's session from its cookie (rotated; needs X-Parley-Web: 1)",
    auth: false,
    answers: {
      200: { description: 'a new access token and the account', schema: webSessionAnswerSchema },
      401: error('no session cookie, or the session has ended'),
      403: error('the X-Parley-Web header is missing'),
    },
  },
  {
    method: 'POST',
    path: '/v1/auth/web/logout',
    summary: "End the browser's session and clear its cookie (needs X-Parley-Web: 1)",
    auth: false,
    answers: {
      204: { description: 'the session ended (or there was none)' },
      403: error('the X-Parley-Web header is missing'),
    },
  },
  {
    method: 'GET',
    path: '/v1/auth/me',
    summary: 'The current account',
    auth: true,
    answers: { 200: { description: 'the account', schema: userAnswerSchema }, ...UNAUTHORIZED },
  },
  {
    method: 'GET',
    path: '/v1/settings',
    summary: "One's own settings (read receipts, who sees one's presence)",
    auth: true,
    answers: { 200: { description: 'the settings', schema: settingsViewSchema }, ...UNAUTHORIZED },
  },
  {
    method: 'PUT',
    path: '/v1/settings',
    summary: 'Change the named settings (they apply at once, on every device)',
    auth: true,
    body: settingsBodySchema,
    answers: {
      200: { description: 'the settings, as now stored', schema: settingsViewSchema },
      ...INVALID,
      ...UNAUTHORIZED,
    },
  },
  {
    method: 'POST',
    path: '/v1/connect',
    summary: 'Which gateway to open the WebSocket on, and a single-use ticket for it',
    auth: true,
    body: connectBodySchema,
    answers: {
      200: { description: 'the gateway, backups and the ticket', schema: connectAnswerSchema },
      ...INVALID,
      ...UNAUTHORIZED,
    },
  },
  {
    method: 'GET',
    path: '/v1/users',
    summary: 'Find people by username prefix (case-insensitive, literal)',
    auth: true,
    query: userSearchQuerySchema,
    answers: {
      200: { description: 'at most 50 users', schema: usersAnswerSchema },
      ...INVALID,
      ...UNAUTHORIZED,
      429: error('more than 60 searches in a minute (Retry-After)'),
    },
  },
  {
    method: 'GET',
    path: '/v1/presence',
    summary: "Users' online state and last seen, as the caller may see them",
    auth: true,
    query: presenceQuerySchema,
    answers: {
      200: {
        description: 'each asked user, hidden ones with null fields',
        schema: presenceAnswerSchema,
      },
      ...INVALID,
      ...UNAUTHORIZED,
      429: error('too many requests (Retry-After)'),
    },
  },
  {
    method: 'GET',
    path: '/v1/contacts',
    summary: 'The address book',
    auth: true,
    answers: {
      200: { description: 'the contacts', schema: contactsAnswerSchema },
      ...UNAUTHORIZED,
    },
  },
  {
    method: 'PUT',
    path: '/v1/contacts/{username}',
    summary: 'Add a contact',
    auth: true,
    params: contactParamsSchema,
    answers: {
      201: { description: 'added' },
      204: { description: 'already a contact' },
      400: error('not a username, or your own'),
      ...UNAUTHORIZED,
      404: error('no such user'),
    },
  },
  {
    method: 'DELETE',
    path: '/v1/contacts/{username}',
    summary: 'Remove a contact',
    auth: true,
    params: contactParamsSchema,
    answers: {
      204: { description: 'removed (or was not a contact)' },
      ...INVALID,
      ...UNAUTHORIZED,
      404: error('no such user'),
    },
  },
  {
    method: 'GET',
    path: '/v1/conversations',
    summary: 'My conversations, newest first',
    auth: true,
    answers: {
      200: { description: 'at most 200 conversations', schema: conversationsAnswerSchema },
      ...UNAUTHORIZED,
    },
  },
  {
    method: 'POST',
    path: '/v1/conversations',
    summary: 'Find or create the 1:1 conversation with a user',
    auth: true,
    body: createConversationBodySchema,
    answers: {
      200: { description: 'the conversation', schema: conversationAnswerSchema },
      400: error('not a username, or your own'),
      ...UNAUTHORIZED,
      404: error('no such user'),
    },
  },
  {
    method: 'GET',
    path: '/v1/channels',
    summary: 'Public channels, the most members first (q: a part of the name)',
    auth: true,
    query: channelsQuerySchema,
    answers: {
      200: { description: 'at most 50 channels', schema: channelsAnswerSchema },
      ...INVALID,
      ...UNAUTHORIZED,
    },
  },
  {
    method: 'GET',
    path: '/v1/conversations/{id}/messages',
    summary: 'A page of history (the latest, or before beforeSeq), ascending',
    auth: true,
    params: conversationParamsSchema,
    query: historyQuerySchema,
    answers: {
      200: { description: 'the page', schema: historyPageSchema },
      ...INVALID,
      ...UNAUTHORIZED,
      ...FORBIDDEN,
    },
  },
  {
    method: 'GET',
    path: '/v1/conversations/{id}/messages/{seq}/receipts',
    summary: 'Who has received and read one of my messages, and when',
    auth: true,
    params: messageParamsSchema,
    answers: {
      200: { description: 'the members and their receipts', schema: messageReceiptsAnswerSchema },
      ...INVALID,
      ...UNAUTHORIZED,
      403: error('not a member, or not a message you sent (membership events included)'),
      404: error('no message at this seq'),
    },
  },
  {
    method: 'POST',
    path: '/v1/conversations/{id}/read',
    summary: 'Move my read cursor',
    auth: true,
    params: conversationParamsSchema,
    body: readCursorBodySchema,
    answers: { 204: { description: 'moved' }, ...INVALID, ...UNAUTHORIZED, ...FORBIDDEN },
  },
  {
    method: 'POST',
    path: '/v1/images',
    summary:
      'Upload an image: the raw bytes as the body, Content-Type image/jpeg, image/png or image/webp',
    auth: true,
    answers: {
      201: { description: 'processed: ready to send', schema: imageUploadAnswerSchema },
      ...UNAUTHORIZED,
      413: error(
        'larger than the cap (image_too_large), or over the storage quota (quota_exceeded)',
      ),
      415: error('not a JPEG, PNG or WebP image, whatever the declared type'),
      422: error('too many pixels (image_too_many_pixels), or undecodable (image_unreadable)'),
      429: error('too many uploads (Retry-After)'),
      503: error('processing did not finish in time; upload again'),
    },
  },
  {
    method: 'GET',
    path: '/v1/images/{imageId}/{variant}',
    summary: 'An image (WebP, without metadata): variant thumb or display',
    auth: true,
    params: imageParamsSchema,
    answers: {
      200: { description: 'the image bytes (image/webp)' },
      ...INVALID,
      ...UNAUTHORIZED,
      404: error('no such image, or not one you may see (the same answer)'),
    },
  },
  {
    method: 'GET',
    path: '/health/live',
    summary: 'The process runs (every service)',
    auth: false,
    answers: { 200: { description: 'alive', schema: liveAnswerSchema } },
  },
  {
    method: 'GET',
    path: '/health/ready',
    summary: 'Every dependency answers (every service)',
    auth: false,
    answers: {
      200: { description: 'ready', schema: readinessAnswerSchema },
      503: { description: 'a dependency is down', schema: readinessAnswerSchema },
    },
  },
  {
    method: 'GET',
    path: '/v1/openapi.json',
    summary: 'This document',
    auth: false,
    answers: { 200: { description: 'the OpenAPI document' } },
  },
];
