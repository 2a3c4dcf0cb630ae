// Types of protocol/account.ts's shapes, without importing zod into the browser bundle.
import type { z } from 'zod';
import type { ApiKeySummary as K, AuditEntry as A, Invitation as I, Member as M } from '../../../protocol/account.ts';

export type ApiKeySummary = z.infer<typeof K>;
export type AuditEntry = z.infer<typeof A>;
export type Invitation = z.infer<typeof I>;
export type Member = z.infer<typeof M>;
