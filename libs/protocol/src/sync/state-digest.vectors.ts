/**
 * Test vectors for the state digest (docs/PROTOCOL.md lists them too): every implementation, the
 * gateway's (node:crypto over rows read from PostgreSQL) and the client library's (pure-JS
 * SHA-256), must produce these digests.
 */
export interface StateVector {
  name: string;
  lastSeq: number;
  /** The first seq the member may read (1 when absent). */
  fromSeq?: number;
  /** The conversation's messages; the digest covers the last min(10, lastSeq - fromSeq + 1). */
  messages: { seq: number; senderId: string; clientMsgId: string; text: string }[];
  digest: string;
}

const ALICE = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const BOB = '9d2c3b52-8a41-4f0e-9b1c-6f1d2e3a4b5c';

const twelve = Array.from({ length: 12 }, (_, i) => ({
  seq: i + 1,
  senderId: i % 2 === 0 ? ALICE : BOB,
  clientMsgId: `m-${i + 1}`,
  text: `message ${i + 1}`,
}));

/** Checked by an independent implementation (Python's hashlib and struct) when written. */
export const STATE_VECTORS: StateVector[] = [
  {
    name: 'empty conversation',
    lastSeq: 0,
    messages: [],
    digest: '7816e4aff02237d6a09ddb898afe9f81448b81c3f8e7e54f671fc2f655fe6561',
  },
  {
    name: 'one message',
    lastSeq: 1,
    messages: [{ seq: 1, senderId: ALICE, clientMsgId: 'c-1', text: 'hi!' }],
    digest: 'f5f722ce63109539625e1695d84a2bf485f6059cd2388da845eaa2d7461046e7',
  },
  {
    name: 'five messages, with non-ASCII text',
    lastSeq: 5,
    messages: [
      { seq: 1, senderId: ALICE, clientMsgId: 'c-1', text: 'hi!' },
      { seq: 2, senderId: BOB, clientMsgId: 'b_1', text: 'hi' },
      { seq: 3, senderId: ALICE, clientMsgId: 'c-2', text: 'how are you?' },
      { seq: 4, senderId: BOB, clientMsgId: 'b_2', text: "I'm good! Thanks for asking" },
      { seq: 5, senderId: ALICE, clientMsgId: 'c-3', text: 'héllo 👋\nnew line' },
    ],
    digest: 'cb17171e12362ccff3e757f5537c151c6a3c962c6a94e22c94c1a85af412b892',
  },
  {
    name: 'twelve messages: the window is seqs 3-12',
    lastSeq: 12,
    messages: twelve,
    digest: '31f22577d128e5edcd5bc5471d96f6a76386765f35f4e0631a26139171f889a8',
  },
  {
    name: 'the same twelve held up to seq 10: the window is seqs 1-10',
    lastSeq: 10,
    messages: twelve.slice(0, 10),
    digest: '7575f7d378ed576bf572b892bc1da3a448dd139c4ed040d243f933ab3077bda3',
  },
  {
    name: 'twelve messages read from seq 6 (a member who joined at 6): the window is seqs 6-12',
    lastSeq: 12,
    fromSeq: 6,
    messages: twelve,
    digest: '6293538da18da401f8fc5ddbc98b355359a5a0838a49bdc8d3f0d056f708e1da',
  },
  {
    name: 'nothing held of a conversation read from seq 6: n = 5, k = 0',
    lastSeq: 5,
    fromSeq: 6,
    messages: [],
    digest: 'de99786e609da495738881168b0099c0c19d0b04da4d5a90f6840664edc23293',
  },
  {
    name: 'twelve messages read from seq 3: the same window as from seq 1',
    lastSeq: 12,
    fromSeq: 3,
    messages: twelve,
    digest: '31f22577d128e5edcd5bc5471d96f6a76386765f35f4e0631a26139171f889a8',
  },
];
