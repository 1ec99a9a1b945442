import { useCallback, useState } from 'react';
import type { User } from '../../api/ioc-api';
import { usePolling } from '../../hooks/usePolling';
import { labelFor, useI18n } from '../../i18n/i18n';
import { listRules, setRuleEnabled } from '../console-api';
import { ErrorBanner } from '../ErrorBanner';
import { SeverityBadge } from '../SeverityBadge';

/** Alert rules: everyone reads them; admins switch rules made over the API on and off. */
export function RulesView({ user }: { user: User }) {
  const { t, language } = useI18n();
  const r = t.console.rules;
  const [version, setVersion] = useState(0);
  const [busy, setBusy] = useState<string>();
  const [failure, setFailure] = useState<unknown>();
  const load = useCallback(
    (signal: AbortSignal) => {
      void version;
      return listRules(signal);
    },
    [version],
  );
  const { data, error } = usePolling(load, 30_000);
  const admin = user.role === 'admin';

  const toggle = async (id: string, enabled: boolean) => {
    setBusy(id);
    setFailure(undefined);
    try {
      await setRuleEnabled(id, enabled);
      setVersion((n) => n + 1);
    } catch (e) {
      setFailure(e);
    } finally {
      setBusy(undefined);
    }
  };

  return (
    <section className="panel" aria-labelledby="rules-title" data-testid="rules-view">
      <header className="panel-header">
        <h2 id="rules-title">{r.title}</h2>
      </header>
      {!admin && <p className="muted">{r.readOnly}</p>}
      <div aria-live="polite">
        {failure !== undefined && <ErrorBanner error={failure} known={r.errors} />}
      </div>
      {error !== undefined && <ErrorBanner error={error} />}
      {!data && error === undefined && <p className="muted">{t.console.loading}</p>}
      {data && data.length === 0 && <p className="muted">{r.none}</p>}
      {data && data.length > 0 && (
        <div className="ops-table-wrap">
          <table className="ops-table" data-testid="rules-table">
            <thead>
              <tr>
                <th scope="col">{r.columns.name}</th>
                <th scope="col">{r.columns.id}</th>
                <th scope="col">{r.columns.severity}</th>
                <th scope="col">{r.columns.kind}</th>
                <th scope="col">{r.columns.origin}</th>
                <th scope="col">{r.columns.enabled}</th>
              </tr>
            </thead>
            <tbody>
              {data.map((rule) => {
                const name = rule.name[language];
                return (
                  <tr key={rule.id} data-testid={`rule-row-${rule.id}`}>
                    <th scope="row">{name}</th>
                    <td className="ops-id">{rule.id}</td>
                    <td>
                      <SeverityBadge severity={rule.severity} />
                    </td>
                    <td>{labelFor(r.kinds, rule.kind)}</td>
                    <td>{r.origins[rule.origin]}</td>
                    <td>
                      <span className="ops-onoff" data-on={rule.enabled}>
                        {rule.enabled ? r.on : r.off}
                      </span>
                      {admin && rule.origin === 'api' && (
                        <button
                          type="button"
                          className="button button-quiet"
                          aria-label={rule.enabled ? r.disable(name) : r.enable(name)}
                          disabled={busy === rule.id}
                          onClick={() => void toggle(rule.id, !rule.enabled)}
                        >
                          {rule.enabled ? r.disableShort : r.enableShort}
                        </button>
                      )}
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}
