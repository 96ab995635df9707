import { Injectable } from '@nestjs/common';

/** The wall clock, injectable so logic that depends on "now" is testable. */
@Injectable()
export class Clock {
  now(): number {
    return Date.now();
  }
}
