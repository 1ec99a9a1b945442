import { type Language, useI18n } from '../i18n/i18n';

const languages: readonly Language[] = ['vi', 'en'];

export function LanguageSwitch() {
  const { language, setLanguage, t } = useI18n();
  return (
    <fieldset className="language-switch" data-testid="language-switch">
      <legend className="visually-hidden">{t.language.label}</legend>
      {languages.map((option) => (
        <button
          key={option}
          type="button"
          lang={option}
          title={t.language[option]}
          aria-pressed={language === option}
          data-testid={`language-${option}`}
          onClick={() => setLanguage(option)}
        >
          {option.toUpperCase()}
        </button>
      ))}
    </fieldset>
  );
}
