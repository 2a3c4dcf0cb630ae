// Preset ranges (1 h … 30 d; a service page adds 5 m and 15 m) or a custom range; the choice
// lives in the URL.
import { useState } from 'react';
import { PRESETS, toLocalInput, type Preset, type Presets, type Range } from '../lib/range.ts';

export function RangePicker({ range, onChange, presets = PRESETS }: { range: Range; onChange: (r: Range) => void; presets?: Presets }) {
  const [custom, setCustom] = useState(range.kind === 'custom');
  const [from, setFrom] = useState(toLocalInput(range.kind === 'custom' ? range.from : Date.now() - 3600_000));
  const [to, setTo] = useState(toLocalInput(range.kind === 'custom' ? range.to : Date.now()));
  const [err, setErr] = useState<string | null>(null);
  const apply = () => {
    const f = new Date(from).getTime();
    const t = new Date(to).getTime();
    if (!Number.isFinite(f) || !Number.isFinite(t) || f >= t) return setErr('The start must be before the end.');
    setErr(null);
    onChange({ kind: 'custom', from: f, to: t });
  };
  return (
    <div className="row" role="group" aria-label="Time range">
      {(Object.keys(presets) as Preset[]).map((p) => (
        <button key={p} type="button" aria-pressed={range.kind === 'preset' && range.preset === p} onClick={() => (setCustom(false), onChange({ kind: 'preset', preset: p }))}>
          {p}
        </button>
      ))}
      <button type="button" aria-pressed={range.kind === 'custom' || custom} aria-expanded={custom} onClick={() => setCustom((c) => !c)}>
        Custom
      </button>
      {custom && (
        <form
          className="row"
          onSubmit={(e) => {
            e.preventDefault();
            apply();
          }}
        >
          <label className="small">
            From
            <input type="datetime-local" value={from} onChange={(e) => setFrom(e.target.value)} />
          </label>
          <label className="small">
            To
            <input type="datetime-local" value={to} onChange={(e) => setTo(e.target.value)} />
          </label>
          <button type="submit">Apply</button>
          {err && <span className="error small" role="alert">{err}</span>}
        </form>
      )}
    </div>
  );
}
