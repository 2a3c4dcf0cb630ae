// Which source a service's golden signals come from when it sends both server spans and
// duration histograms (docs/apm.md, "Which source wins"), so no request is counted twice:
// - Spans win: a histogram point is ignored while spans arrived within `precedenceMs`.
// - A histogram point covering (from, to] counts only if `from` is after the last second counted
//   from spans; once one counted, spans ending at or before `to` are dropped (those requests are
//   in the histogram already).
// Either rule alone keeps the counts exact; the first keeps a service from switching back and
// forth between sources (e.g. sampled, sparse spans). Pure; the object persists `state()`.

export interface SourcesState {
  /** Arrival time (object clock, ms) of the last batch with server spans counted. */
  spansAt: number | null;
  /** The latest second counted from spans. */
  spanSec: number | null;
  /** The latest second (end of the interval) counted from a histogram point. */
  histSec: number | null;
}

export const EMPTY_SOURCES: SourcesState = { spansAt: null, spanSec: null, histSec: null };

export class SignalSources {
  private s: SourcesState;
  /** What was persisted last, to save span progress at most every `saveEveryMs`. */
  private saved: SourcesState;
  /** Upper bounds of the span progress that may have gone unsaved before a restart. */
  private readonly bound: { spansAt: number | null; spanSec: number | null };

  /**
   * `saved` is what was persisted. Span progress is saved lazily (at most every `saveEveryMs`, or
   * when `spanSec` moves that far), so after a restart the decisions use it pushed forward by that
   * much: erring towards dropping a histogram point, never towards counting twice.
   */
  constructor(
    saved: SourcesState,
    private readonly precedenceMs: number,
    private readonly saveEveryMs = 60_000,
  ) {
    this.s = { ...saved };
    this.saved = { ...saved };
    this.bound = {
      spansAt: saved.spansAt === null ? null : saved.spansAt + saveEveryMs,
      spanSec: saved.spanSec === null ? null : saved.spanSec + Math.ceil(saveEveryMs / 1000),
    };
  }

  /** The state to persist (what was seen, without the restart bounds). */
  state(): SourcesState {
    return { ...this.s };
  }

  private effective(k: 'spansAt' | 'spanSec'): number | null {
    const a = this.s[k];
    const b = this.bound[k];
    if (a === null) return b;
    return b === null ? a : Math.max(a, b);
  }

  /**
   * The span entries to count (those after the last histogram-counted second), noting the spans.
   * `save`: the state should be persisted now.
   */
  admitSpans<E extends { sec: number }>(entries: readonly E[], now: number): { kept: E[]; save: boolean } {
    const h = this.s.histSec;
    const kept = h === null ? [...entries] : entries.filter((e) => e.sec > h);
    if (kept.length === 0) return { kept, save: false };
    let max = this.s.spanSec ?? -Infinity;
    for (const e of kept) if (e.sec > max) max = e.sec;
    this.s.spansAt = Math.max(this.s.spansAt ?? now, now);
    this.s.spanSec = max;
    const save =
      this.saved.spansAt === null ||
      now - this.saved.spansAt >= this.saveEveryMs ||
      this.saved.spanSec === null ||
      max - this.saved.spanSec >= this.saveEveryMs / 1000;
    return { kept, save };
  }

  /** Whether a histogram point covering (fromMs, toMs] may count now. */
  admitsHistogram(fromMs: number, now: number): boolean {
    const spansAt = this.effective('spansAt');
    const spanSec = this.effective('spanSec');
    if (spansAt !== null && now - spansAt < this.precedenceMs) return false;
    if (spanSec !== null && fromMs < (spanSec + 1) * 1000) return false;
    return true;
  }

  /** A histogram point ending at `toMs` was counted. */
  countedHistogram(toMs: number): void {
    const sec = Math.floor(toMs / 1000);
    if (this.s.histSec === null || sec > this.s.histSec) this.s.histSec = sec;
  }

  /** Call once `state()` was persisted. */
  markSaved(): void {
    this.saved = { ...this.s };
  }
}
