// Shapes of the alert routes' answers (worker/routes/alerts/*), as the site reads them.
export interface RuleJson {
  id: string;
  name: string;
  metric: string;
  matchers: Record<string, string>;
  comparator: string;
  threshold: number;
  for: number;
  keep_firing_for: number;
  repeat_interval: number;
  severity: string;
  channel_ids: string[];
  enabled: boolean;
  /** threshold (a host metric or a service signal), burn_rate (an SLO), anomaly (|z| of a service signal) or forecast (a trend). */
  kind: 'threshold' | 'burn_rate' | 'anomaly' | 'forecast';
  /** Service rules: the signal's window; burn_rate: the long window; anomaly: the scored window; forecast: the fitted window (ms). */
  window: number | null;
  /** burn_rate: the short window (ms). */
  short_window: number | null;
  slo_id: string | null;
  /** forecast: how far ahead the trend must reach the threshold (ms). */
  horizon: number | null;
  created_at: number;
  updated_at: number;
}
export interface ChannelJson {
  id: string;
  name: string;
  type: 'slack' | 'email' | 'webhook';
  config: Record<string, unknown>;
  enabled: boolean;
  created_at: number;
}
export interface SilenceJson {
  id: string;
  matchers: Record<string, string>;
  starts_at: number;
  ends_at: number;
  comment: string;
  active: boolean;
}
