// Turning the SFU's and the browser's error codes into sentences from the catalogue.
import type { Messages } from '../i18n/vi';
import type { SignallingError } from './protocol';

export function conferenceErrorText(t: Messages, error: SignallingError): string {
  return t.conference.errors[error.code] ?? t.conference.unknownError(error.code);
}

export function deviceErrorText(t: Messages, name: string): string {
  return t.conference.check.deviceErrors[name] ?? t.conference.check.deviceError;
}
