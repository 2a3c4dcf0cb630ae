import { z } from '@hono/zod-openapi';

export const ErrorSchema = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      field: z.string().optional(),
      issues: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
    }),
  })
  .openapi('Error');

export const json = <T extends z.ZodType>(schema: T) => ({ content: { 'application/json': { schema } } });

export const errorDoc = (description: string) => ({ description, content: { 'application/json': { schema: ErrorSchema } } });
/** The error answers every authenticated route can give. */
export const authErrors = {
  400: errorDoc('Invalid input; the error names the field'),
  401: errorDoc('Not logged in, or a missing or invalid key'),
  403: errorDoc('The role or key scope lacks the permission, or the CSRF check failed'),
  404: errorDoc('Not found in this organization'),
} as const;
