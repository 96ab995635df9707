import { linkify } from '../text/linkify';

/**
 * Message text as TEXT: Preact renders strings as text nodes, so markup in a message shows as
 * what it is; http(s) URLs become links that open elsewhere without handing this page over.
 */
export function MessageText({ text }: { text: string }) {
  return (
    <>
      {linkify(text).map((part, i) =>
        part.kind === 'link' ? (
          <a key={i} href={part.href} target="_blank" rel="noopener noreferrer nofollow">
            {part.text}
          </a>
        ) : (
          <span key={i}>{part.text}</span>
        ),
      )}
    </>
  );
}
