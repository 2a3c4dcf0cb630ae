// Secrets and dev-only settings that `wrangler types` cannot see in wrangler.toml.
interface SecretEnv {
  /** Postgres URL (Neon in production). */
  DATABASE_URL: string;
  /** host:port of the local WebSocket-to-TCP shim; unset in production. */
  PG_WS_PROXY?: string;
  /** Resend API key for email alerts; email channels fail visibly without it. */
  RESEND_API_KEY?: string;
  /** Resend API base URL (default https://api.resend.com); tests point it at a local recorder. */
  RESEND_BASE_URL?: string;
  /** Sender of alert emails, e.g. "Pulse <alerts@example.com>". */
  EMAIL_FROM?: string;
  /** The site's public origin for links in emails (default: the request's origin). */
  APP_URL?: string;
  /** Alert delivery retry delays in ms, comma-separated (default 5s,30s,2m,10m,30m). */
  ALERT_RETRY_MS?: string;
  /** Anomaly warm-up in minutes (default 20, docs/anomalies.md); honoured only outside production, for the browser tests. */
  ANOMALY_WARMUP_MINUTES?: string;
}
interface Env extends SecretEnv {}
declare namespace Cloudflare {
  interface Env extends SecretEnv {}
}
