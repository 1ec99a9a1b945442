import {
  createContext,
  type ReactNode,
  useCallback,
  useContext,
  useEffect,
  useMemo,
  useState,
} from 'react';
import { en } from './en';
import { type Messages, vi } from './vi';

export type Language = 'vi' | 'en';

const catalogues: Record<Language, Messages> = { vi, en };
const storageKey = 'ioc.language';

interface I18nValue {
  language: Language;
  t: Messages;
  setLanguage(language: Language): void;
}

const I18nContext = createContext<I18nValue | null>(null);

/** Vietnamese unless the user picked English on this browser before. */
function initialLanguage(): Language {
  try {
    return localStorage.getItem(storageKey) === 'en' ? 'en' : 'vi';
  } catch {
    // Storage can be disabled (kiosk profiles, privacy settings): fall back to the default.
    return 'vi';
  }
}

export function I18nProvider({ children }: { children: ReactNode }) {
  const [language, setLanguageState] = useState<Language>(initialLanguage);

  const setLanguage = useCallback((next: Language) => {
    setLanguageState(next);
    try {
      localStorage.setItem(storageKey, next);
    } catch {
      // Not persisted; the choice still holds for this page.
    }
  }, []);

  const t = catalogues[language];
  useEffect(() => {
    document.documentElement.lang = language;
    document.title = t.productName;
  }, [language, t]);

  const value = useMemo(() => ({ language, t, setLanguage }), [language, t, setLanguage]);
  return <I18nContext.Provider value={value}>{children}</I18nContext.Provider>;
}

export function useI18n(): I18nValue {
  const value = useContext(I18nContext);
  if (!value) throw new Error('useI18n() must be used inside <I18nProvider>');
  return value;
}

/** A label from a catalogue map, or the raw key when the server sends one we do not know. */
export function labelFor(labels: Readonly<Record<string, string>>, key: string): string {
  return labels[key] ?? key;
}
