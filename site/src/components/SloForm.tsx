// Create or edit an SLO. The server checks the definition and names the wrong field; the form
// shows that message beside the buttons. New SLOs get the workbook's burn-rate alerts.
import { useState, type FormEvent } from 'react';
import { api, type ApiError } from '../lib/api.ts';
import { sloBody, type SloDraft } from '../lib/slo.ts';

export function SloForm({ initial, id, services, onDone }: { initial: SloDraft; id?: string; services: string[]; onDone: (saved: boolean) => void }) {
  const [d, setD] = useState<SloDraft>(initial);
  const [err, setErr] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof SloDraft>(k: K, v: SloDraft[K]) => setD((x) => ({ ...x, [k]: v }));
  const submit = async (e: FormEvent) => {
    e.preventDefault();
    setBusy(true);
    setErr(null);
    try {
      await api(id ? `/api/v1/slos/${encodeURIComponent(id)}` : '/api/v1/slos', { method: id ? 'PATCH' : 'POST', body: sloBody(d) });
      onDone(true);
    } catch (x) {
      setErr((x as ApiError).message);
    } finally {
      setBusy(false);
    }
  };
  return (
    <form className="stack panel" onSubmit={submit} aria-label={id ? 'Edit SLO' : 'New SLO'}>
      <label>
        Name
        <input value={d.name} onChange={(e) => set('name', e.target.value)} required maxLength={200} />
      </label>
      <div className="row">
        <label>
          Service
          <input value={d.service} onChange={(e) => set('service', e.target.value)} required list="slo-services" maxLength={128} />
          <datalist id="slo-services">
            {services.map((s) => (
              <option key={s} value={s} />
            ))}
          </datalist>
        </label>
        <label>
          Route (empty = the whole service)
          <input value={d.route} onChange={(e) => set('route', e.target.value)} placeholder="GET /api/orders" maxLength={200} />
        </label>
      </div>
      <div className="row">
        <label>
          Kind
          <select value={d.kind} onChange={(e) => set('kind', e.target.value as SloDraft['kind'])}>
            <option value="availability">availability (requests that are not errors)</option>
            <option value="latency">latency (requests at or under a threshold)</option>
          </select>
        </label>
        {d.kind === 'latency' && (
          <label>
            Threshold (ms)
            <input type="number" min={1} step="any" value={d.thresholdMs} onChange={(e) => set('thresholdMs', e.target.value)} required style={{ width: 100 }} />
          </label>
        )}
        <label>
          Objective (%)
          <input type="number" step="any" min={0} max={100} value={d.objectivePct} onChange={(e) => set('objectivePct', e.target.value)} required style={{ width: 100 }} />
        </label>
        <label>
          Window
          <select value={d.windowDays} onChange={(e) => set('windowDays', Number(e.target.value) as SloDraft['windowDays'])}>
            {[7, 28, 30].map((w) => (
              <option key={w} value={w}>
                {w} days
              </option>
            ))}
          </select>
        </label>
      </div>
      {!id && <p className="muted small">Creating an SLO also creates its four burn-rate alerts (SRE Workbook: page at 14.4x and 6x, ticket at 3x and 1x, windows scaled to the SLO's); edit them under Alerts → Rules.</p>}
      {err && (
        <p className="error" role="alert">
          {err}
        </p>
      )}
      <div className="row">
        <button className="primary" disabled={busy}>
          {id ? 'Save SLO' : 'Create SLO'}
        </button>
        <button type="button" onClick={() => onDone(false)}>
          Cancel
        </button>
      </div>
    </form>
  );
}
