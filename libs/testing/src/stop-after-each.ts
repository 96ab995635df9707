/**
 * For the spec file that calls it: an `afterEach` that stops everything handed to the returned
 * function during the test, so no client or store leaves a timer running past its test (one that
 * would hold jest's process after the run).
 */
export function stopAfterEach<T extends { stop(): void }>(): (started: T) => T {
  const started: T[] = [];
  afterEach(() => {
    for (const item of started.splice(0)) item.stop();
  });
  return (item) => {
    started.push(item);
    return item;
  };
}
