import { exitWithParent, installProcessHandlers } from './bootstrap';

describe('installProcessHandlers', () => {
  it('logs an unhandled rejection with its error (stack included) and keeps the process running', () => {
    const logger = { error: jest.fn(), fatal: jest.fn() };
    const exit = jest.fn();
    const uninstall = installProcessHandlers('gateway', logger, exit);
    try {
      const reason = new TypeError('Invalid URL');
      process.emit('unhandledRejection', reason, Promise.resolve());
      expect(logger.error).toHaveBeenCalledWith(
        { service: 'gateway', err: reason },
        'unhandled promise rejection (process keeps running)',
      );
      expect(exit).not.toHaveBeenCalled();
    } finally {
      uninstall();
    }
  });

  it('logs an uncaught exception as fatal and exits non-zero', () => {
    const logger = { error: jest.fn(), fatal: jest.fn() };
    const exit = jest.fn();
    const uninstall = installProcessHandlers('storage', logger, exit);
    try {
      const err = new Error('state may be broken');
      process.emit('uncaughtException', err);
      expect(logger.fatal).toHaveBeenCalledWith(
        { service: 'storage', err, origin: undefined },
        'uncaught exception; exiting',
      );
      expect(exit).toHaveBeenCalledWith(1);
    } finally {
      uninstall();
    }
  });
});

describe('exitWithParent', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('shuts down once when the launcher that started the service is gone', () => {
    let parent = 4242;
    const shutdown = jest.fn();
    const logger = { warn: jest.fn() };
    exitWithParent('storage', logger, shutdown, 4242, () => parent);
    jest.advanceTimersByTime(5000);
    expect(shutdown).not.toHaveBeenCalled();
    parent = 1; // re-parented to init: the launcher died
    jest.advanceTimersByTime(3000);
    expect(shutdown).toHaveBeenCalledTimes(1);
    expect(logger.warn).toHaveBeenCalledTimes(1);
  });

  it('does nothing without a launcher', () => {
    expect(exitWithParent('storage', { warn: jest.fn() }, jest.fn(), 0)).toBeUndefined();
  });
});
