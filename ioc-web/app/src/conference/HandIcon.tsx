// A raised hand, drawn here: emoji fonts are missing on many office and kiosk machines.
export function HandIcon() {
  return (
    <svg
      className="conference-hand-icon"
      viewBox="0 0 24 24"
      width="1em"
      height="1em"
      fill="currentColor"
      aria-hidden="true"
    >
      <rect x="6" y="5" width="2.6" height="9" rx="1.3" />
      <rect x="9.2" y="2.5" width="2.6" height="11" rx="1.3" />
      <rect x="12.4" y="3.5" width="2.6" height="10" rx="1.3" />
      <rect x="15.6" y="6" width="2.6" height="8" rx="1.3" />
      <path d="M6 12h12.2v3.5a6.1 6.1 0 0 1-6.1 6.1h-.4A5.7 5.7 0 0 1 6 15.9z" />
      <rect x="2.8" y="10.5" width="2.6" height="6.5" rx="1.3" transform="rotate(-35 4.1 13.75)" />
    </svg>
  );
}
