import type { MessageImage as Image } from '@parley/protocol';
import { useEffect, useState } from 'preact/hooks';
import type { ChatStore } from '../chat-store';

/** The longest side an image takes in the conversation, in CSS pixels. */
const BOX = 240;

/**
 * An image in a message: a box of the image's shape with its placeholder at once, its thumbnail
 * once fetched (with the session's token, as an object URL), and the display size in a viewer
 * on click (Escape or the button closes it).
 */
export function MessageImage({ chat, image }: { chat: ChatStore; image: Image }) {
  const [thumb, setThumb] = useState<string>();
  const [full, setFull] = useState<string>();
  const [viewing, setViewing] = useState(false);
  const scale = Math.min(1, BOX / Math.max(image.width, image.height));
  const size = { width: Math.round(image.width * scale), height: Math.round(image.height * scale) };
  const label = `image ${image.width}×${image.height}`;

  useEffect(() => {
    let live = true;
    chat.imageUrl(image.id, 'thumb').then(
      (url) => live && setThumb(url),
      () => undefined,
    );
    return () => {
      live = false;
    };
  }, [chat, image.id]);

  function view() {
    setViewing(true);
    chat.imageUrl(image.id, 'display').then(setFull, () => setViewing(false));
  }

  return (
    <>
      <button type="button" class="image" aria-label={`Open ${label}`} onClick={view}>
        <img
          src={thumb ?? image.placeholder}
          alt={label}
          width={size.width}
          height={size.height}
          data-loaded={thumb ? 'thumb' : 'placeholder'}
        />
      </button>
      {viewing && (
        <div
          class="image-viewer"
          role="dialog"
          aria-label={label}
          onKeyDown={(e) => e.key === 'Escape' && setViewing(false)}
        >
          {full ? <img src={full} alt={label} /> : <p role="status">Loading…</p>}
          <button type="button" autoFocus onClick={() => setViewing(false)}>
            Close
          </button>
        </div>
      )}
    </>
  );
}
