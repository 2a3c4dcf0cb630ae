// One SLO (/app/slo/?id=): its live status (SLI, budget left as % and requests, burn rates over
// 5m…3d, time to exhaustion, pushed with its service's signals), the SLI and budget over the
// window (GET /api/v1/slos/{id}/history), its burn-rate alerts, and edit / delete.
import { useMemo, useState } from 'react';
import type { RuleJson } from '../lib/alert-types.ts';
import { api } from '../lib/api.ts';
import { describeRule } from '../lib/rule-draft.ts';
import { useAction, useApi } from '../lib/hooks.ts';
import { describeSlo, formatBurn, formatExhaustion, formatPct, sloDraft, type SloHistory, type SloJson } from '../lib/slo.ts';
import { useSloStatuses } from '../lib/slo-live.ts';
import { serviceHref } from '../lib/service-view.ts';
import { AppShell, Async, useCan } from './AppShell.tsx';
import { SloChart } from './SloChart.tsx';
import { SloForm } from './SloForm.tsx';
import { budgetText, StatusCell } from './SlosPage.tsx';

const BURNS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;

function Detail({ slo, reload }: { slo: SloJson; reload: () => void }) {
  const list = useMemo(() => [slo], [slo]);
  const s = useSloStatuses(list)[slo.id];
  const history = useApi<SloHistory>(`/api/v1/slos/${encodeURIComponent(slo.id)}/history?v=${slo.updated_at}`);
  const rules = useApi<{ rules: RuleJson[] }>('/api/v1/alerts/rules');
  const canWrite = useCan('alerts:write');
  const [editing, setEditing] = useState(false);
  const { act, err } = useAction(() => location.assign('/app/slos/'));
  const burnRules = (rules.data?.rules ?? []).filter((r) => r.kind === 'burn_rate' && r.slo_id === slo.id);
  return (
    <>
      <h1>
        {slo.name} <StatusCell s={s} />
      </h1>
      <p className="muted">
        <a href={serviceHref(slo.service)}>{slo.service}</a> · {describeSlo(slo)}
      </p>
      {editing ? (
        <SloForm
          initial={sloDraft(slo)}
          id={slo.id}
          services={[slo.service]}
          onDone={(saved) => {
            setEditing(false);
            if (saved) reload();
          }}
        />
      ) : (
        canWrite && (
          <p className="row">
            <button type="button" onClick={() => setEditing(true)}>
              Edit
            </button>
            <button type="button" className="danger" onClick={() => confirm(`Delete SLO "${slo.name}" and its burn-rate alerts?`) && act(api(`/api/v1/slos/${encodeURIComponent(slo.id)}`, { method: 'DELETE' }))}>
              Delete
            </button>
          </p>
        )
      )}
      {err && (
        <p className="error" role="alert">
          {err}
        </p>
      )}
      <section className="grid" style={{ gridTemplateColumns: 'repeat(auto-fit, minmax(160px, 1fr))' }} aria-label="Status" data-slo-status={s?.status ?? 'loading'}>
        <div className="panel">
          <h3>SLI ({slo.window_days} d)</h3>
          <strong data-sli>{formatPct(s?.sli ?? null, 3)}</strong>
          <div className="muted small">
            {s ? `${s.good.toLocaleString()} good of ${s.total.toLocaleString()}` : '…'}
          </div>
        </div>
        <div className="panel">
          <h3>Budget left</h3>
          <strong data-budget>{budgetText(s)}</strong>
          <div className="muted small">{s ? `${s.budgetRequests < 10 ? s.budgetRequests.toFixed(1) : Math.round(s.budgetRequests).toLocaleString()} bad requests allowed` : '…'}</div>
        </div>
        <div className="panel">
          <h3>Exhausted in</h3>
          <strong>{formatExhaustion(s?.exhaustsInMs ?? null)}</strong>
          <div className="muted small">at the last hour's rate</div>
        </div>
        <div className="panel">
          <h3>Burn rates</h3>
          <table className="small">
            <tbody>
              {BURNS.map((b) => (
                <tr key={b}>
                  <td>{b}</td>
                  <td data-burn={b}>{formatBurn(s?.burnRates[b] ?? null)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      </section>
      <section className="panel group">
        <h2>SLI and budget over the window</h2>
        <Async state={history} empty={(h) => (h.points.length ? null : 'No requests counted in the window yet.')}>
          {(h) => <SloChart history={h} />}
        </Async>
      </section>
      <section className="panel group">
        <h2>Burn-rate alerts</h2>
        <Async state={rules} empty={() => (burnRules.length ? null : 'None: add one under Alerts → Rules (kind: burn rate).')}>
          {() => (
            <ul>
              {burnRules.map((r) => (
                <li key={r.id}>
                  <span className={`badge s-${r.severity}`}>{r.severity}</span> {r.name}: {describeRule(r, slo.name)} {r.enabled ? '' : '(disabled)'}
                </li>
              ))}
            </ul>
          )}
        </Async>
      </section>
    </>
  );
}

function SloBody() {
  const id = new URLSearchParams(location.search).get('id') ?? '';
  const slo = useApi<SloJson>(id ? `/api/v1/slos/${encodeURIComponent(id)}` : null);
  if (!id) return <p className="error">No SLO given: open one from the <a href="/app/slos/">SLOs</a> page.</p>;
  return <Async state={slo}>{(d) => <Detail slo={d} reload={slo.reload} />}</Async>;
}

export default function SloPage() {
  return (
    <AppShell>
      <SloBody />
    </AppShell>
  );
}
