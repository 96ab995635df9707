import { sniffImageFormat } from './image';

describe('sniffImageFormat', () => {
  it.each([
    ['jpeg', [0xff, 0xd8, 0xff, 0xe0]],
    ['png', [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0]],
    ['webp', [...Buffer.from('RIFF'), 1, 2, 3, 4, ...Buffer.from('WEBPVP8 ')]],
  ])('knows %s by its magic bytes', (format, bytes) => {
    expect(sniffImageFormat(Uint8Array.from(bytes))).toBe(format);
  });

  it.each([
    ['empty', Buffer.alloc(0)],
    ['a cut JPEG magic', Buffer.from([0xff, 0xd8])],
    ['a cut PNG magic', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a])],
    ['a RIFF that is not WebP', Buffer.from('RIFF\x01\x02\x03\x04WAVEfmt ', 'latin1')],
    ['a RIFF cut before its type', Buffer.from('RIFF\x01\x02\x03\x04WEB', 'latin1')],
    ['GIF', Buffer.from('GIF89a')],
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')],
    ['text', Buffer.from('hello, not an image')],
  ])('refuses %s', (_name, head) => {
    expect(sniffImageFormat(head)).toBeNull();
  });
});
