import { pngClaiming } from '@parley/testing/image.fixture';
import sharp from 'sharp';
import {
  type ImageLimits,
  ImageRefusedError,
  type ImageRefusalCode,
  processImage,
} from './image-processor';

const LIMITS: ImageLimits = { maxPixels: 40_000_000, displayMaxSide: 1024, thumbMaxSide: 256 };

function solid(width: number, height: number) {
  return sharp({ create: { width, height, channels: 3, background: '#3a7' } });
}

/** Whether an EXIF block has a GPS IFD (the GPSInfo pointer tag 0x8825, either byte order). */
function hasGps(exif: Buffer): boolean {
  return exif.includes(Buffer.from([0x88, 0x25])) || exif.includes(Buffer.from([0x25, 0x88]));
}

async function refusal(input: Buffer, limits = LIMITS): Promise<ImageRefusedError> {
  const error = await processImage(input, limits).then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ImageRefusedError);
  return error as ImageRefusedError;
}

async function expectRefused(input: Buffer, code: ImageRefusalCode): Promise<void> {
  expect((await refusal(input)).code).toBe(code);
}

describe('processImage (real sharp)', () => {
  it('drops EXIF, GPS included, from every output', async () => {
    const input = await solid(320, 240)
      .jpeg()
      .withExif({
        IFD0: { Make: 'Spy Cam', Model: 'One' },
        IFD3: { GPSLatitudeRef: 'N', GPSLatitude: '48/1 51/1 2/1' },
      })
      .toBuffer();
    const { exif } = await sharp(input).metadata();
    expect(exif && hasGps(exif)).toBe(true);

    const image = await processImage(input, LIMITS);
    const placeholder = Buffer.from(image.placeholder.split(',')[1], 'base64');
    for (const output of [image.display.content, image.thumb.content, placeholder]) {
      const metadata = await sharp(output).metadata();
      expect(metadata.format).toBe('webp');
      expect(metadata.exif).toBeUndefined();
      expect(metadata.xmp).toBeUndefined();
    }
  });

  it('applies the EXIF orientation: a 200x100 JPEG tagged 6 is shown 100x200', async () => {
    const input = await solid(200, 100).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    expect((await sharp(input).metadata()).orientation).toBe(6);

    const image = await processImage(input, LIMITS);
    expect(image).toMatchObject({ format: 'jpeg', width: 100, height: 200 });
    expect(image.display).toMatchObject({ width: 100, height: 200, type: 'image/webp' });
    const shown = await sharp(image.display.content).metadata();
    expect([shown.width, shown.height, shown.orientation]).toEqual([100, 200, undefined]);
  });

  it('never enlarges a small image', async () => {
    const image = await processImage(await solid(300, 200).png().toBuffer(), LIMITS);
    expect(image).toMatchObject({ format: 'png', width: 300, height: 200 });
    expect(image.display).toMatchObject({ width: 300, height: 200 });
    expect(image.thumb).toMatchObject({ width: 256, height: 171 });
  });

  it('shrinks a big image to the maximum side, keeping its proportions', async () => {
    const image = await processImage(await solid(3000, 1500).webp().toBuffer(), LIMITS);
    expect(image).toMatchObject({ format: 'webp', width: 3000, height: 1500 });
    expect(image.display).toMatchObject({ width: 1024, height: 512 });
    expect(image.thumb).toMatchObject({ width: 256, height: 128 });
    const display = await sharp(image.display.content).metadata();
    expect([display.width, display.height]).toEqual([1024, 512]);
  });

  it('keeps the first frame of an animated image', async () => {
    const frames = Buffer.concat([Buffer.alloc(40 * 30 * 3, 0), Buffer.alloc(40 * 30 * 3, 255)]);
    const input = await sharp(frames, {
      raw: { width: 40, height: 60, channels: 3, pageHeight: 30 },
    })
      .webp({ loop: 0 })
      .toBuffer();
    expect((await sharp(input).metadata()).pages).toBe(2);

    const image = await processImage(input, LIMITS);
    expect(image).toMatchObject({ width: 40, height: 30, display: { width: 40, height: 30 } });
    const { dominant } = await sharp(image.display.content).stats();
    expect(dominant).toEqual({ r: 8, g: 8, b: 8 }); // black, the first frame
  });

  it('refuses a PNG whose header claims 15000x15000, quickly and without decoding it', async () => {
    const started = Date.now();
    const error = await refusal(pngClaiming(15_000, 15_000));
    expect(error.code).toBe('image_too_many_pixels');
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('accepts an image of exactly maxPixels', async () => {
    const input = await solid(100, 50).png().toBuffer();
    await expect(processImage(input, { ...LIMITS, maxPixels: 5000 })).resolves.toMatchObject({
      width: 100,
    });
    expect((await refusal(input, { ...LIMITS, maxPixels: 4999 })).code).toBe(
      'image_too_many_pixels',
    );
  });

  it.each([
    ['SVG', Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>')],
    ['text', Buffer.from('just some text, renamed photo.jpg')],
  ])('refuses %s as image_type_unsupported', async (_name, input) => {
    await expectRefused(input, 'image_type_unsupported');
  });

  it('refuses a GIF, a real image of a type not kept', async () => {
    await expectRefused(await solid(20, 20).gif().toBuffer(), 'image_type_unsupported');
  });

  it('refuses a JPEG magic followed by garbage as image_unreadable, without sharp’s text', async () => {
    const garbage = Buffer.alloc(2000);
    for (let i = 0; i < garbage.length; i += 1) garbage[i] = (i * 7919) % 251;
    const error = await refusal(Buffer.concat([Buffer.from([0xff, 0xd8, 0xff, 0xe0]), garbage]));
    expect(error.code).toBe('image_unreadable');
    expect(error.message).toBe('the image could not be read');
  });

  it('refuses a truncated JPEG (its header reads, its pixels do not) as image_unreadable', async () => {
    const jpeg = await sharp({
      create: {
        width: 400,
        height: 300,
        channels: 3,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 40 },
      },
    })
      .jpeg()
      .toBuffer();
    await expectRefused(jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'image_unreadable');
  });

  it('makes a tiny decodable placeholder, under 400 characters even for noise with alpha', async () => {
    const noise = await sharp({
      create: {
        width: 600,
        height: 400,
        channels: 4,
        background: '#000',
        noise: { type: 'gaussian', mean: 128, sigma: 120 },
      },
    })
      .png()
      .toBuffer();

    const { placeholder } = await processImage(noise, LIMITS);
    expect(placeholder).toMatch(/^data:image\/webp;base64,[A-Za-z0-9+/]+=*$/);
    expect(placeholder.length).toBeLessThan(400);
    const tiny = await sharp(Buffer.from(placeholder.split(',')[1], 'base64')).metadata();
    expect([tiny.format, tiny.width, tiny.height]).toEqual(['webp', 16, 11]);
  });
});
