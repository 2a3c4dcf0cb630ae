// Secrets and dev-only settings that `wrangler types` cannot see in wrangler.toml.
interface SecretEnv {
  /** Postgres URL (Neon in production). */
  DATABASE_URL: string;
  /** host:port of the local WebSocket-to-TCP shim; unset in production. */
  PG_WS_PROXY?: string;
}
interface Env extends SecretEnv {}
declare namespace Cloudflare {
  interface Env extends SecretEnv {}
}
