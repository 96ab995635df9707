import { installProcessHandlers } from './bootstrap';

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
