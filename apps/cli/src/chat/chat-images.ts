import type { MessageImage } from '@parley/protocol';

/** What the image commands of a chat do. */
export const IMAGE_COMMANDS_HELP =
  'images: /image <path> [caption] sends a JPEG, PNG or WebP; /save [n] [file] saves the n-th latest image (default 1, to <id>.webp)';

export type ImageCommand =
  | { kind: 'image'; path: string; caption: string }
  | { kind: 'save'; nth: number; file?: string }
  | { kind: 'usage' };

/** `/image <path> [caption]` or `/save [n] [file]`; undefined for any other line. */
export function parseImageCommand(line: string): ImageCommand | undefined {
  const [name, ...args] = line.trim().split(/\s+/);
  if (name === '/image') {
    const [path, ...caption] = args;
    return path ? { kind: 'image', path, caption: caption.join(' ') } : { kind: 'usage' };
  }
  if (name !== '/save') return undefined;
  const [first, second] = args;
  if (args.length > 2) return { kind: 'usage' };
  if (first !== undefined && /^\d+$/.test(first)) {
    const nth = Number(first);
    if (nth < 1) return { kind: 'usage' };
    return { kind: 'save', nth, ...(second !== undefined ? { file: second } : {}) };
  }
  if (second !== undefined) return { kind: 'usage' };
  return { kind: 'save', nth: 1, ...(first !== undefined ? { file: first } : {}) };
}

/** `[image 1280x960, 180 KB]`: what an image message shows before its caption. */
export function imageLabel(image: MessageImage): string {
  const size =
    image.bytes >= 1024 * 1024
      ? `${(image.bytes / (1024 * 1024)).toFixed(1)} MB`
      : `${Math.max(1, Math.round(image.bytes / 1024))} KB`;
  return `[image ${image.width}x${image.height}, ${size}]`;
}
