import { useEffect, useMemo, useState } from 'react';
import { ApiError } from '../api/client';
import { type AdminUnit, units as fetchUnits, type UnitList } from '../api/ioc-api';
import { labelFor, useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { buildUnitTree, countByType, matchUnits, type UnitNode } from './unit-tree';

type LoadState =
  | { status: 'loading' }
  | { status: 'failed' }
  | { status: 'loaded'; list: UnitList };

export function UnitTreePanel() {
  const { t } = useI18n();
  const { expired } = useSession();
  const [state, setState] = useState<LoadState>({ status: 'loading' });
  const [attempt, setAttempt] = useState(0);
  const [query, setQuery] = useState('');

  useEffect(() => {
    void attempt; // "Try again" bumps it to load once more
    const controller = new AbortController();
    setState({ status: 'loading' });
    fetchUnits(controller.signal).then(
      (list) => setState({ status: 'loaded', list }),
      (error: unknown) => {
        if (controller.signal.aborted) return;
        if (error instanceof ApiError && error.status === 401) expired();
        else setState({ status: 'failed' });
      },
    );
    return () => controller.abort();
  }, [attempt, expired]);

  const list = state.status === 'loaded' ? state.list : undefined;
  const tree = useMemo(() => (list ? buildUnitTree(list.units) : []), [list]);
  const counts = useMemo(() => (list ? countByType(list.units) : []), [list]);
  const matches = useMemo(() => (list ? matchUnits(list.units, query) : []), [list, query]);
  const byCode = useMemo(() => new Map(list?.units.map((u) => [u.code, u])), [list]);

  return (
    <section className="panel" data-testid="unit-panel" aria-labelledby="units-title">
      <header className="panel-header">
        <h2 id="units-title">{t.units.title}</h2>
        {list && (
          <span className="summary" data-testid="unit-total">
            {t.units.total(list.units.length)}
          </span>
        )}
      </header>

      {state.status === 'loading' && <p className="muted">{t.units.loading}</p>}
      {state.status === 'failed' && (
        <div className="banner banner-error" role="alert" data-testid="unit-error">
          <span>{t.units.failed}</span>
          <button type="button" className="button" onClick={() => setAttempt((n) => n + 1)}>
            {t.units.retry}
          </button>
        </div>
      )}

      {list && (
        <>
          <ul className="type-counts" data-testid="unit-type-counts">
            {counts.map(({ type, count }) => (
              <li key={type} data-testid={`unit-count-${type}`}>
                <strong>{count}</strong> {labelFor(t.units.types, type)}
              </li>
            ))}
          </ul>
          <input
            type="search"
            className="unit-filter"
            placeholder={t.units.filter}
            aria-label={t.units.filter}
            value={query}
            onChange={(event) => setQuery(event.target.value)}
            data-testid="unit-filter"
          />
          <div className="panel-scroll">
            {query.trim() === '' ? (
              <ul className="unit-tree" data-testid="unit-tree">
                {tree.map((node) => (
                  <UnitBranch key={node.unit.code} node={node} depth={0} />
                ))}
              </ul>
            ) : (
              <ul className="unit-tree unit-matches" data-testid="unit-matches">
                {matches.length === 0 && <li className="muted">{t.units.noMatch}</li>}
                {matches.map((unit) => (
                  <li key={unit.code}>
                    <UnitRow unit={unit} parent={byCode.get(unit.parentCode ?? '')} />
                  </li>
                ))}
              </ul>
            )}
          </div>
          {list.dataset && (
            <footer className="panel-footer muted" data-testid="unit-dataset">
              {t.units.dataset(list.dataset)}
            </footer>
          )}
        </>
      )}
    </section>
  );
}

// Roots start open (the province and its communes); deeper branches open on demand.
function UnitBranch({ node, depth }: { node: UnitNode; depth: number }) {
  if (node.children.length === 0) {
    return (
      <li>
        <UnitRow unit={node.unit} />
      </li>
    );
  }
  return (
    <li>
      <details open={depth === 0}>
        <summary>
          <UnitRow unit={node.unit} childCount={node.children.length} />
        </summary>
        <ul>
          {node.children.map((child) => (
            <UnitBranch key={child.unit.code} node={child} depth={depth + 1} />
          ))}
        </ul>
      </details>
    </li>
  );
}

function UnitRow({
  unit,
  parent,
  childCount,
}: {
  unit: AdminUnit;
  parent?: AdminUnit;
  childCount?: number;
}) {
  const { t, language } = useI18n();
  const english = language === 'en';
  const name = (u: AdminUnit) => (english && u.nameEn ? u.nameEn : u.name);
  const fullName = english ? (unit.fullNameEn ?? unit.fullName) : unit.fullName;
  return (
    <span className="unit-row" data-testid={`unit-${unit.code}`} title={fullName}>
      <span className="unit-name">{name(unit)}</span>
      {parent && <span className="unit-parent">{name(parent)}</span>}
      <span className="unit-type">{labelFor(t.units.types, unit.type)}</span>
      {childCount !== undefined && <span className="unit-children">{childCount}</span>}
      <span className="unit-code" title={t.units.code}>
        {unit.code}
      </span>
    </span>
  );
}
