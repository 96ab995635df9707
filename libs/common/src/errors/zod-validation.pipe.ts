import { PipeTransform } from '@nestjs/common';
import { z } from 'zod/v4';
import { ErrorCode, reportedIssues } from '@parley/protocol';
import { AppException } from './app.exception';

/**
 * Validates a request body (or query) against a zod schema. Schemas are `.strict()`, so unknown
 * fields are refused; every problem names its field. Nothing runs (and nothing is written) unless
 * the whole input is valid.
 */
export class ZodValidationPipe<S extends z.ZodType> implements PipeTransform<unknown, z.output<S>> {
  constructor(private readonly schema: S) {}

  transform(value: unknown): z.output<S> {
    const result = this.schema.safeParse(value ?? {});
    if (result.success) return result.data;
    const fields = reportedIssues(result.error.issues).flatMap((issue) => {
      if (issue.code === 'unrecognized_keys') {
        return issue.keys.map((k) => ({ field: k, message: 'unknown field' }));
      }
      return [{ field: issue.path.join('.') || '(body)', message: issue.message }];
    });
    throw new AppException(
      ErrorCode.ValidationFailed,
      `Invalid request: ${fields.map((f) => f.field).join(', ')}`,
      { fields },
    );
  }
}
