// The Hono app: routes as small files, one error handler, OpenAPI generated from the zod schemas.
import { OpenAPIHono } from '@hono/zod-openapi';
import { Hono } from 'hono';
import { otlpError } from './otlp/http.ts';
import { documentLogs, registerLogs } from './routes/otlp/logs.ts';
import { documentMetrics, registerMetrics } from './routes/otlp/metrics.ts';
import { registerLogRoutes } from './routes/logs/index.ts';
import { documentTraces, registerTraces } from './routes/otlp/traces.ts';
import { registerServiceQueries } from './routes/services/index.ts';
import { registerTraceQueries } from './routes/traces/index.ts';
import { notFoundOrAsset } from './assets.ts';
import { registerPlatform, usePlatform } from './platform.ts';
import { errorResponse, unsupportedMediaType, validationError, zodIssues } from './errors.ts';
import { registerAlertChannels } from './routes/alerts/channels.ts';
import { registerAlertList } from './routes/alerts/list.ts';
import { registerAlertLive } from './routes/alerts/live.ts';
import { registerRulePreview } from './routes/alerts/preview.ts';
import { registerAlertRules } from './routes/alerts/rules.ts';
import { registerSilences } from './routes/alerts/silences.ts';
import { registerSlos } from './routes/slos/index.ts';
import { registerHostList } from './routes/hosts/list.ts';
import { registerHostLive } from './routes/hosts/live.ts';
import { registerCatalog } from './routes/metrics/catalog.ts';
import { registerCollect } from './routes/metrics/collect.ts';
import { registerIngestStream } from './routes/metrics/stream.ts';
import { registerCurrent } from './routes/metrics/current.ts';
import { registerHistory } from './routes/metrics/history.ts';
import { registerHealth } from './routes/system/health.ts';
import { registerDevCost } from './routes/dev/cost.ts';
import { registerInstall } from './routes/install/index.ts';
import { registerAudit } from './routes/audit/list.ts';
import { registerEmailLinks } from './routes/auth/email-links.ts';
import { registerLogin } from './routes/auth/login.ts';
import { registerMe } from './routes/auth/me.ts';
import { registerSignup } from './routes/auth/signup.ts';
import { registerKeys } from './routes/keys/keys.ts';
import { registerInvitations } from './routes/orgs/invitations.ts';
import { registerMembers } from './routes/orgs/members.ts';
import { registerOrgs } from './routes/orgs/orgs.ts';
import type { AppEnv } from './types.ts';

export function createApp() {
  const app = new OpenAPIHono<AppEnv>({
    // Validation failures use the same envelope as every other error and name the field.
    defaultHook: (result, c) => {
      // The JSON validator runs without a Content-Type only on a route whose body is required,
      // and only when no body came (the media-type gate refuses a body without one): the
      // Content-Type is checked before the body, as ingest does (docs/limits.md).
      if (result.target === 'json' && !c.req.header('content-type')) throw unsupportedMediaType();
      // Query, path and body fields are named bare (`threshold`, `host`); headers keep a prefix.
      if (!result.success) return validationError(zodIssues(result.error, result.target === 'header' ? 'header' : ''));
      return undefined;
    },
  });
  app.onError((err, c) => errorResponse(c, err));
  app.notFound(notFoundOrAsset); // static files (site, downloads) or the JSON 404
  usePlatform(app); // security headers, body cap (worker/platform.ts)

  app.openAPIRegistry.registerComponent('securitySchemes', 'bearer', { type: 'http', scheme: 'bearer', description: 'An API key' });
  app.openAPIRegistry.registerComponent('securitySchemes', 'session', {
    type: 'apiKey',
    in: 'cookie',
    name: 'pulse_session',
    description: 'The session cookie from POST /api/v1/auth/login; writes also need the X-CSRF-Token header',
  });
  registerSignup(app);
  registerLogin(app);
  registerMe(app);
  registerEmailLinks(app);
  registerOrgs(app);
  registerMembers(app);
  registerInvitations(app);
  registerKeys(app);
  registerAudit(app);
  registerCollect(app);
  registerIngestStream(app);
  registerCurrent(app);
  registerHistory(app);
  registerCatalog(app);
  registerHostList(app);
  registerHostLive(app);
  registerHealth(app);
  registerDevCost(app); // 404 unless COST_COUNTERS=on outside production (bench:cost)
  registerAlertRules(app);
  registerAlertChannels(app);
  registerSilences(app);
  registerAlertList(app);
  registerAlertLive(app);
  registerRulePreview(app);
  registerSlos(app);
  registerInstall(app);
  registerServiceQueries(app);
  registerTraceQueries(app);
  registerLogRoutes(app);
  // OTLP/HTTP ingest answers errors as google.rpc.Status, so it has its own error handler.
  const otlp = new Hono<AppEnv>();
  otlp.onError(otlpError);
  registerTraces(otlp);
  registerMetrics(otlp);
  registerLogs(otlp);
  app.route('/', otlp);
  documentTraces(app);
  documentMetrics(app);
  documentLogs(app);
  registerPlatform(app); // last: /api/docs, and 413/415/429 documented on every route

  app.doc31('/api/v1/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'Pulse Monitor API', version: '1.0.0', description: 'Host metrics ingest and query, alerting, organizations and keys. Authenticate with an API key (Bearer) or the session cookie; see docs/auth.md.' },
  });
  return app;
}
