// Tabs kept in the URL (?tab=), keyboard navigable with the arrow keys (WAI-ARIA tabs pattern).
import { useState, type KeyboardEvent, type ReactNode } from 'react';

export function Tabs({ tabs }: { tabs: { id: string; label: string; render: () => ReactNode }[] }) {
  const initial = new URLSearchParams(location.search).get('tab');
  const [active, setActive] = useState(tabs.some((t) => t.id === initial) ? initial! : tabs[0]!.id);
  const select = (id: string) => {
    setActive(id);
    const url = new URL(location.href);
    url.searchParams.set('tab', id);
    history.replaceState(null, '', url);
  };
  const onKey = (e: KeyboardEvent) => {
    const i = tabs.findIndex((t) => t.id === active);
    const d = e.key === 'ArrowRight' ? 1 : e.key === 'ArrowLeft' ? -1 : 0;
    if (!d) return;
    const next = tabs[(i + d + tabs.length) % tabs.length]!;
    select(next.id);
    document.getElementById(`tab-${next.id}`)?.focus();
  };
  const current = tabs.find((t) => t.id === active)!;
  return (
    <>
      <div className="tabs" role="tablist" onKeyDown={onKey}>
        {tabs.map((t) => (
          <button key={t.id} id={`tab-${t.id}`} role="tab" type="button" aria-selected={t.id === active} aria-controls={`panel-${t.id}`} tabIndex={t.id === active ? 0 : -1} onClick={() => select(t.id)}>
            {t.label}
          </button>
        ))}
      </div>
      <div role="tabpanel" id={`panel-${current.id}`} aria-labelledby={`tab-${current.id}`}>
        {current.render()}
      </div>
    </>
  );
}
