/** The join link's token, from `?t=`: `/conference/{id}?t=<token>`. */
export function joinTokenOf(search: string): string | undefined {
  const token = new URLSearchParams(search).get('t')?.trim();
  return token ? token : undefined;
}
