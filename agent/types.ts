// Shared agent types. A sample's metrics map is exactly the wire shape of protocol `Sample.metrics`.
import type { LabelledValue } from '../protocol/index.ts';

export type Metrics = Record<string, number | LabelledValue[]>;

export interface CollectContext {
  /** Wall-clock time of this collection (ms since the epoch), used as the sample's ts. */
  now: number;
  /** Monotonic time (ms) for rates, so wall-clock jumps never distort them. */
  mono: number;
  /** Where procfs and sysfs are mounted: /proc and /sys, or a fixture tree in tests, or /host/proc in a container. */
  procRoot: string;
  sysRoot: string;
  /** Prefix for mount points when statfs'ing the host's filesystems from a container ('' on the host). */
  rootFs: string;
}

export interface Collector {
  name: string;
  collect(ctx: CollectContext): Promise<Metrics>;
}
