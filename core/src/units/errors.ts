/**
 * A query on a loaded tree that cannot be answered: an unknown unit code or a bad point.
 * (Bad dataset files fail loading with a StartupError instead; see load.ts.)
 */
export class UnitLookupError extends Error {
  override readonly name = 'UnitLookupError';
  constructor(
    readonly code: 'UNIT_NOT_FOUND' | 'UNIT_BAD_POINT',
    message: string,
  ) {
    super(message);
  }
}
