import { useState } from 'react';
import { useI18n } from '../../i18n/i18n';
import type { JoinLink } from './conference-api';

/** A join link as the commune opens it: this server's address and the link's path. */
export function absoluteLink(link: JoinLink): string {
  return `${window.location.origin}${link.path}`;
}

/**
 * One row per endpoint with its own link and a copy button; "copy all" puts every link, one per
 * line with its unit, on the clipboard for pasting into a message.
 */
export function JoinLinksTable({ links }: { links: JoinLink[] }) {
  const { t } = useI18n();
  const l = t.conferences.links;
  const [copied, setCopied] = useState<{ ok: boolean; what: string }>();

  const copy = async (what: string, text: string) => {
    try {
      await navigator.clipboard.writeText(text);
      setCopied({ ok: true, what });
    } catch {
      setCopied({ ok: false, what });
    }
  };

  return (
    <section className="ops-history" aria-labelledby="join-links-title" data-testid="join-links">
      <h3 id="join-links-title">{l.title}</h3>
      <p className="muted ops-hint">{l.hint}</p>
      <div className="ops-buttons">
        <button
          type="button"
          className="button"
          data-testid="join-links-copy-all"
          onClick={() =>
            void copy(
              '*',
              links
                .map(
                  (link) =>
                    `${link.unitName} (${t.conferences.roles[link.role]}): ${absoluteLink(link)}`,
                )
                .join('\n'),
            )
          }
        >
          {l.copyAll}
        </button>
        <span aria-live="polite" className="muted">
          {copied && (copied.ok ? l.copied : l.copyFailed)}
        </span>
      </div>
      <div className="ops-table-wrap">
        <table className="ops-table">
          <thead>
            <tr>
              <th scope="col">{l.unit}</th>
              <th scope="col">{l.role}</th>
              <th scope="col">{l.link}</th>
              <th scope="col">
                <span className="visually-hidden">{l.copy}</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {links.map((link) => {
              const url = absoluteLink(link);
              return (
                <tr key={link.unit} data-unit={link.unit}>
                  <th scope="row">{link.unitName}</th>
                  <td>{t.conferences.roles[link.role]}</td>
                  <td className="ops-id">
                    <input
                      readOnly
                      className="conference-link"
                      value={url}
                      aria-label={`${l.link}: ${link.unitName}`}
                      onFocus={(event) => event.currentTarget.select()}
                      size={40}
                    />
                  </td>
                  <td>
                    <button
                      type="button"
                      className="button button-quiet"
                      aria-label={l.copyOf(link.unitName)}
                      onClick={() => void copy(link.unit, url)}
                    >
                      {copied?.what === link.unit && copied.ok ? l.copied : l.copy}
                    </button>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </table>
      </div>
    </section>
  );
}
