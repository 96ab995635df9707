import { parseServerFrame } from './server-frame';

describe('parseServerFrame', () => {
  it('accepts known frame types', () => {
    expect(parseServerFrame('{"type":"ack","clientMsgId":"a"}')).toMatchObject({ type: 'ack' });
  });

  it('ignores garbage and unknown types', () => {
    expect(parseServerFrame('nope')).toBeUndefined();
    expect(parseServerFrame('[1]')).toBeUndefined();
    expect(parseServerFrame('{"type":"typing"}')).toBeUndefined();
  });
});
