/**
 * The client protocol's version. It changes when a frame or an HTTP body changes incompatibly;
 * additions (a new frame type, a new optional field) keep it.
 */
export const PROTOCOL_VERSION = 1;

/** The gateway's default longest message text (MESSAGE_MAX_LENGTH), in Unicode code points. */
export const DEFAULT_MESSAGE_MAX_LENGTH = 4000;

/**
 * The gateway's default largest WebSocket frame (WS_MAX_PAYLOAD_BYTES), in bytes: room for the
 * largest valid frame, a `group` change naming 1,023 usernames of 32 characters (about 36 KB).
 */
export const DEFAULT_MAX_FRAME_BYTES = 40 * 1024;

/** Every HTTP body is at most this large. */
export const MAX_BODY_BYTES = 16 * 1024;
