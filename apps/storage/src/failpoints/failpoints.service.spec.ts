import { AppException } from '@parley/common';
import { ErrorCode } from '@parley/protocol';
import { FAILPOINT_NAMES, FailpointsService, isFailpointName } from './failpoints.service';

describe('FailpointsService', () => {
  const setUp = () => {
    const kill = jest.fn();
    return { kill, failpoints: new FailpointsService(kill) };
  };

  it('does nothing on a hit while disarmed', () => {
    const { kill, failpoints } = setUp();
    failpoints.hit('storage.crash-after-commit');
    expect(kill).not.toHaveBeenCalled();
  });

  it('kills the process on the first hit after arming, once: the hit disarms it', () => {
    const { kill, failpoints } = setUp();
    failpoints.arm('storage.crash-after-commit');
    failpoints.arm('storage.crash-after-commit'); // arming twice is still one kill
    expect(kill).not.toHaveBeenCalled();
    failpoints.hit('storage.crash-after-commit');
    failpoints.hit('storage.crash-after-commit');
    expect(kill).toHaveBeenCalledTimes(1);
  });

  it('can be armed again after a hit', () => {
    const { kill, failpoints } = setUp();
    failpoints.arm('storage.crash-after-commit');
    failpoints.hit('storage.crash-after-commit');
    failpoints.arm('storage.crash-after-commit');
    failpoints.hit('storage.crash-after-commit');
    expect(kill).toHaveBeenCalledTimes(2);
  });

  it('refuses an unknown name as NotFound, arming nothing', () => {
    const { kill, failpoints } = setUp();
    let refusal: unknown;
    try {
      failpoints.arm('storage.crash-before-commit');
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(AppException);
    expect(refusal).toMatchObject({ code: ErrorCode.NotFound });
    for (const name of FAILPOINT_NAMES) failpoints.hit(name);
    expect(kill).not.toHaveBeenCalled();
  });

  it('knows exactly the listed names', () => {
    expect(FAILPOINT_NAMES).toEqual(['storage.crash-after-commit']);
    expect(isFailpointName('storage.crash-after-commit')).toBe(true);
    expect(isFailpointName('constructor')).toBe(false);
    expect(isFailpointName('')).toBe(false);
  });
});
