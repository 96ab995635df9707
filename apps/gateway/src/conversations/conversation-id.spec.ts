import { conversationIdSchema } from '@parley/protocol';
import { directPairKey, newConversationId } from './conversation-id';

const A = '0b6f3c52-8a41-4f0e-9b1c-6f1d2e3a4b5c';
const B = '9a1e2d3c-4b5a-4f6e-8d7c-0b1a2c3d4e5f';

describe('conversation id', () => {
  it('is the creation time and a 32-hex digest, matching the shared schema', () => {
    const id = newConversationId([A, B], 1763900000123, 'aa'.repeat(16));
    expect(id).toMatch(/^1763900000123-[0-9a-f]{32}$/);
    expect(conversationIdSchema.safeParse(id).success).toBe(true);
  });

  it('does not depend on member order but does on the salt', () => {
    const salt = 'bb'.repeat(16);
    expect(newConversationId([A, B], 1, salt)).toBe(newConversationId([B, A], 1, salt));
    expect(newConversationId([A, B], 1, salt)).not.toBe(
      newConversationId([A, B], 1, 'cc'.repeat(16)),
    );
  });

  it('is unguessable by default: two ids for the same pair at the same ms differ', () => {
    expect(newConversationId([A, B], 5)).not.toBe(newConversationId([A, B], 5));
  });

  it('pads the time to 13 digits', () => {
    expect(newConversationId([A, B], 42, 'x')).toMatch(/^0000000000042-/);
  });

  it('keys a direct pair independently of order', () => {
    expect(directPairKey(B, A)).toBe(directPairKey(A, B));
    expect(directPairKey(A, B)).toBe([A, B].sort().join(':'));
  });
});
