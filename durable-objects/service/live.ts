// A service object's live stream (issue #12): the seconds changed since the last push go to the
// subscribers at most once a second (../core/push-pacer.ts) with the windows, anomalies, exemplars
// and SLO statuses; a new subscriber is greeted with the last minute.
import type { LiveSecond, ServiceLiveMessage } from '../../protocol/apm.ts';
import { floorTo } from '../core/aggregate.ts';
import { PushPacer } from '../core/push-pacer.ts';
import type { SignalWindow } from '../core/signals.ts';
import type { LiveSubscribers } from '../live-subscribers.ts';
import type { ServiceAnomalies } from './anomalies.ts';
import type { ServiceAlerts } from './service-alerts.ts';
import type { TraceSampler } from './trace-sampler.ts';
import { liveSecond, signalWindows } from './window-queries.ts';

const SEC = 1000;
const MINUTE = 60_000;
const PUSH_INTERVAL_MS = 1000;
const HELLO_SECONDS = 60;

/** What a push reads: the object's own collaborators. */
export interface LiveSources {
  window: SignalWindow;
  subscribers: LiveSubscribers;
  anomalies: ServiceAnomalies;
  alerts: ServiceAlerts;
  traces: TraceSampler;
  /** The service's name, once known (the object's state). */
  service: () => string | null;
}

export class ServiceLive {
  /** Seconds changed since the last live push. */
  private changed = new Set<number>();
  /** At most one push a second; a held-back change goes out at the mark by a timer. */
  private pacer = new PushPacer(
    (now) => {
      try {
        return this.push(now);
      } catch (err) {
        // From a timer there is no caller to fail; from ingest the batch is already stored.
        console.error(JSON.stringify({ msg: 'service live push failed', service: this.src.service(), error: String(err) }));
        return false;
      }
    },
    undefined,
    PUSH_INTERVAL_MS,
  );

  constructor(private readonly src: LiveSources) {}

  /** A second's data changed (or an anomaly period did): it goes out with the next push. */
  mark(sec: number) {
    this.changed.add(sec);
  }

  /** When the alarm must push: changes wait and no timer is set for them (e.g. after a restart). */
  alarmDue(): number | null {
    return this.changed.size && !this.pacer.armed() ? this.pacer.dueAt() : null;
  }

  /**
   * Pushes now if the last push was a second ago or more; else a timer pushes at that mark
   * (the alarm only when no timer is set, e.g. after a restart).
   */
  maybePush(now: number) {
    if (this.changed.size === 0) return;
    if (this.src.subscribers.count() === 0) {
      this.changed.clear();
      this.pacer.cancel();
      return;
    }
    this.pacer.offer(now);
  }

  /** The pacer's send: false when nothing is waiting or nobody listens (not a push). */
  private push(now: number): boolean {
    if (this.changed.size === 0) return false;
    if (this.src.subscribers.count() === 0) {
      this.changed.clear();
      return false;
    }
    const { window, anomalies, traces } = this.src;
    const seconds = [...this.changed].sort((a, b) => a - b).map((s) => liveSecond(window, s));
    this.changed.clear();
    const msg: ServiceLiveMessage = { type: 'signals', service: this.src.service() ?? '', seconds, windows: signalWindows(window, now), anomalies: anomalies.live(), exemplars: traces.exemplars(floorTo(now, MINUTE) - MINUTE, now + MINUTE), ...this.slos(now) };
    this.src.subscribers.broadcast([msg]);
    return true;
  }

  /** A new subscriber's first message: the last minute's seconds that have data. */
  hello(service: string, now: number): ServiceLiveMessage {
    const { window, anomalies, traces } = this.src;
    const nowSec = Math.floor(now / SEC);
    const seconds: LiveSecond[] = [];
    for (let s = nowSec - HELLO_SECONDS; s <= nowSec; s++) if (window.second(s)) seconds.push(liveSecond(window, s));
    return { type: 'hello', service, seconds, windows: signalWindows(window, now), anomalies: anomalies.live(), exemplars: traces.exemplars((nowSec - HELLO_SECONDS) * SEC, (nowSec + 1) * SEC), ...this.slos(now) };
  }

  private slos(now: number) {
    const slos = this.src.alerts.slos;
    return slos.size() ? { slos: slos.statuses(now) } : {};
  }
}
