import { imageLabel, parseImageCommand } from './chat-images';

describe('chat image commands', () => {
  it('parses /image with a path and an optional caption', () => {
    expect(parseImageCommand('/image ./cat.jpg')).toEqual({
      kind: 'image',
      path: './cat.jpg',
      caption: '',
    });
    expect(parseImageCommand('/image cat.png  my   cat')).toEqual({
      kind: 'image',
      path: 'cat.png',
      caption: 'my cat',
    });
    expect(parseImageCommand('/image')).toEqual({ kind: 'usage' });
  });

  it('parses /save [n] [file]', () => {
    expect(parseImageCommand('/save')).toEqual({ kind: 'save', nth: 1 });
    expect(parseImageCommand('/save out.webp')).toEqual({ kind: 'save', nth: 1, file: 'out.webp' });
    expect(parseImageCommand('/save 3 out.webp')).toEqual({
      kind: 'save',
      nth: 3,
      file: 'out.webp',
    });
    expect(parseImageCommand('/save 0')).toEqual({ kind: 'usage' });
    expect(parseImageCommand('/save a b')).toEqual({ kind: 'usage' });
  });

  it('leaves other lines alone', () => {
    expect(parseImageCommand('/images')).toBeUndefined();
    expect(parseImageCommand('hello /image x')).toBeUndefined();
  });

  it('labels an image with its size', () => {
    const image = {
      id: '7d0c9b1e-2f3a-4b5c-8d6e-9f0a1b2c3d4e',
      width: 1280,
      height: 960,
      bytes: 180 * 1024,
      type: 'image/webp' as const,
      placeholder: 'data:image/webp;base64,UklGRg==',
    };
    expect(imageLabel(image)).toBe('[image 1280x960, 180 KB]');
    expect(imageLabel({ ...image, bytes: 3 * 1024 * 1024 })).toBe('[image 1280x960, 3.0 MB]');
  });
});
