// The IOC mark, drawn inline: no image or font is fetched from anywhere.
export function ProductMark({ size = 40 }: { size?: number }) {
  return (
    <svg
      className="product-mark"
      width={size}
      height={size}
      viewBox="0 0 40 40"
      aria-hidden="true"
      focusable="false"
    >
      <rect x="1" y="1" width="38" height="38" rx="9" fill="#0f3a4a" stroke="#2cc5d8" />
      <circle cx="20" cy="20" r="3.5" fill="#2cc5d8" />
      <path
        d="M12 20a8 8 0 0 1 16 0M7 20a13 13 0 0 1 26 0"
        fill="none"
        stroke="#2cc5d8"
        strokeWidth="2.4"
        strokeLinecap="round"
      />
      <path d="M20 24v8" stroke="#f5b942" strokeWidth="2.4" strokeLinecap="round" />
    </svg>
  );
}
