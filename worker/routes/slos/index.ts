// The SLO API: one small file per endpoint (docs/slo.md).
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { AppEnv } from '../../types.ts';
import { registerSloCreate } from './create.ts';
import { registerSloDelete } from './delete.ts';
import { registerSloGet } from './get.ts';
import { registerSloHistory } from './history.ts';
import { registerSloList } from './list.ts';
import { registerSloPatch } from './patch.ts';
import { registerSloStatus } from './status.ts';

export function registerSlos(app: OpenAPIHono<AppEnv>) {
  registerSloCreate(app);
  registerSloList(app);
  registerSloGet(app);
  registerSloPatch(app);
  registerSloDelete(app);
  registerSloStatus(app);
  registerSloHistory(app);
}
