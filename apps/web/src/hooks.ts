import { useEffect, useRef, useState } from 'preact/hooks';

/**
 * Re-renders the component whenever `source` says it changed; returns `read()`'s value. A change
 * between the first render and the subscription (effects run after paint) is not missed: the
 * subscription re-renders once if the value moved meanwhile.
 */
export function useSubscription<T>(
  source: { subscribe(listener: () => void): () => void },
  read: () => T,
): T {
  const value = read();
  const [, setVersion] = useState(0);
  useEffect(() => {
    const rerender = () => setVersion((v) => v + 1);
    const unsubscribe = source.subscribe(rerender);
    if (read() !== value) rerender();
    return unsubscribe;
    // Subscribes once per source; `value` is the first render's, on purpose.
  }, [source]);
  return value;
}

/**
 * A part of the page its button opens and closes: `open`, the button's ref, and `close`, which
 * gives the focus back to the button (closing from the keyboard must not lose it).
 */
export function useDisclosure() {
  const [open, setOpen] = useState(false);
  const toggle = useRef<HTMLButtonElement>(null);
  const close = () => {
    setOpen(false);
    toggle.current?.focus();
  };
  return { open, setOpen, toggle, close };
}
