// Where an object's rollup flush must start, kept as data arrives (hosts' raw samples, services'
// span batches and custom series alike): data at or after `flushedUntil` waits to be flushed
// (`pendingFrom`, the earliest such), data before it makes its minutes dirty (`dirtyFrom`, the
// earliest such), so the next flush rewrites them from the stored data.

export interface FlushMarks {
  /** Rollups are written for everything before this. */
  flushedUntil: number | null;
  /** Earliest late datum that arrived after its minute was flushed. */
  dirtyFrom: number | null;
}

/** The earliest datum waiting to be flushed, after one at `ts` arrived. */
export function pendingAfter(pendingFrom: number | null, flushedUntil: number | null, ts: number): number | null {
  return (flushedUntil === null || ts >= flushedUntil) && (pendingFrom === null || ts < pendingFrom) ? ts : pendingFrom;
}

/** A datum at `ts` before `flushedUntil` moves `dirtyFrom` back to it; true when it moved (state to save). */
export function markDirty(marks: FlushMarks, ts: number): boolean {
  if (marks.flushedUntil === null || ts >= marks.flushedUntil || (marks.dirtyFrom !== null && ts >= marks.dirtyFrom)) return false;
  marks.dirtyFrom = ts;
  return true;
}

/** The earliest datum a flush must (re)write: the dirty or the pending one, or null for none. */
export function earliestUnflushed(dirtyFrom: number | null, pendingFrom: number | null): number | null {
  return dirtyFrom === null ? pendingFrom : pendingFrom === null ? dirtyFrom : Math.min(dirtyFrom, pendingFrom);
}
