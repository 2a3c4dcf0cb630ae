// SLOs: every SLO of the organization with its live status, SLI, error budget left, burn rates
// and time to exhaustion; create, edit and delete. Statuses move with the services' live pushes.
import { useState } from 'react';
import { api } from '../lib/api.ts';
import type { ServiceSummary } from '../lib/apm.ts';
import { useAction, useApi } from '../lib/hooks.ts';
import { describeSlo, EMPTY_SLO, formatBurn, formatExhaustion, formatPct, sloDraft, sloHref, STATUS_CLASS, type SloDraft, type SloJson, type SloStatus } from '../lib/slo.ts';
import { useSloStatuses } from '../lib/slo-live.ts';
import { serviceHref } from '../lib/service-view.ts';
import { AppShell, Async, useCan } from './AppShell.tsx';
import { SloForm } from './SloForm.tsx';

const BURNS = ['5m', '30m', '1h', '6h', '1d', '3d'] as const;

export function StatusCell({ s }: { s: SloStatus | undefined }) {
  if (!s) return <span className="muted">…</span>;
  return <span className={`badge ${STATUS_CLASS[s.status]}`}>{s.status.replace('_', ' ')}</span>;
}

export function budgetText(s: SloStatus | undefined) {
  if (!s || s.budgetRemaining === null) return '–';
  return `${formatPct(s.budgetRemaining, 1)} (${Math.round(s.budgetRemainingRequests).toLocaleString()} req)`;
}

function SloTable({ slos, statuses, canWrite, onEdit, onDelete }: { slos: SloJson[]; statuses: Record<string, SloStatus>; canWrite: boolean; onEdit: (s: SloJson) => void; onDelete: (s: SloJson) => void }) {
  return (
    <div className="table-wrap">
      <table>
        <thead>
          <tr>
            <th>SLO</th>
            <th>Service</th>
            <th>Status</th>
            <th>SLI</th>
            <th>Budget left</th>
            {BURNS.map((b) => (
              <th key={b} className="hide-phone" title={`burn rate over ${b}`}>
                {b}
              </th>
            ))}
            <th>Exhausted in</th>
            <th />
          </tr>
        </thead>
        <tbody>
          {slos.map((slo) => {
            const s = statuses[slo.id];
            return (
              <tr key={slo.id} data-slo={slo.name} data-status={s?.status ?? 'loading'}>
                <td>
                  <a href={sloHref(slo.id)}>{slo.name}</a>
                  <div className="muted small">{describeSlo(slo)}</div>
                </td>
                <td>
                  <a href={serviceHref(slo.service)}>{slo.service}</a>
                </td>
                <td>
                  <StatusCell s={s} />
                </td>
                <td data-sli>{formatPct(s?.sli ?? null, 3)}</td>
                <td data-budget>{budgetText(s)}</td>
                {BURNS.map((b) => (
                  <td key={b} className="hide-phone small">
                    {formatBurn(s?.burnRates[b] ?? null)}
                  </td>
                ))}
                <td>{formatExhaustion(s?.exhaustsInMs ?? null)}</td>
                <td className="row">
                  {canWrite && (
                    <>
                      <button type="button" onClick={() => onEdit(slo)}>
                        Edit
                      </button>
                      <button type="button" className="danger" onClick={() => onDelete(slo)}>
                        Delete
                      </button>
                    </>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function SlosBody() {
  const list = useApi<{ slos: SloJson[] }>('/api/v1/slos');
  const services = useApi<{ services: ServiceSummary[] }>('/api/v1/services');
  const statuses = useSloStatuses(list.data?.slos);
  const canWrite = useCan('alerts:write');
  const [editing, setEditing] = useState<{ id?: string; draft: SloDraft } | null>(null);
  const { act, err } = useAction(list.reload);
  const names = (services.data?.services ?? []).map((s) => s.name);
  return (
    <>
      <h1>SLOs</h1>
      {editing ? (
        <SloForm
          initial={editing.draft}
          {...(editing.id && { id: editing.id })}
          services={names}
          onDone={(saved) => {
            setEditing(null);
            if (saved) list.reload();
          }}
        />
      ) : (
        canWrite && (
          <p>
            <button className="primary" type="button" onClick={() => setEditing({ draft: { ...EMPTY_SLO, service: names[0] ?? '' } })}>
              New SLO
            </button>
          </p>
        )
      )}
      {err && (
        <p className="error" role="alert">
          {err}
        </p>
      )}
      <Async state={list} empty={(d) => (d.slos.length ? null : 'No SLOs yet: an SLO is a service (or one route), availability or latency, an objective and a 7, 28 or 30 day window.')}>
        {(d) => (
          <SloTable
            slos={d.slos}
            statuses={statuses}
            canWrite={canWrite}
            onEdit={(s) => setEditing({ id: s.id, draft: sloDraft(s) })}
            onDelete={(s) => confirm(`Delete SLO "${s.name}" and its burn-rate alerts?`) && act(api(`/api/v1/slos/${encodeURIComponent(s.id)}`, { method: 'DELETE' }))}
          />
        )}
      </Async>
    </>
  );
}

export default function SlosPage() {
  return (
    <AppShell>
      <SlosBody />
    </AppShell>
  );
}
