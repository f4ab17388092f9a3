import { BadRequestException } from '@nestjs/common';
import type { z } from 'zod';

/** Validates a request body; 400 names the offending field. */
export function parseBody<T>(schema: z.ZodType<T>, body: unknown): T {
  if (body === undefined || body === null || typeof body !== 'object' || Array.isArray(body)) {
    throw new BadRequestException('request body must be a JSON object');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const field = issue.path.join('.') || '(body)';
    throw new BadRequestException(`${field}: ${issue.message}`);
  }
  return parsed.data;
}
