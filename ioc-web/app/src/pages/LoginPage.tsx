import { type FormEvent, useEffect, useRef, useState } from 'react';
import { ApiError, requestJson } from '../api/client';
import { login } from '../api/ioc-api';
import { LanguageSwitch } from '../components/LanguageSwitch';
import { ProductMark } from '../components/ProductMark';
import { useI18n } from '../i18n/i18n';
import type { Messages } from '../i18n/vi';
import { navigate } from '../router';
import { useSession } from '../session';

// Kept as a function of the catalogue, so the message follows a language switch.
type Problem = (t: Messages) => string;

function problemFor(error: unknown): Problem {
  if (!(error instanceof ApiError)) return (t) => t.login.network;
  if (error.status === 401) return (t) => t.login.invalidCredentials;
  if (error.status === 400) return (t) => t.login.missingFields;
  if (error.status === 429) return (t) => t.login.tooManyAttempts;
  return (t) => t.login.server(error.status);
}

export function LoginPage({ notice }: { notice?: 'expired' | 'signed-out' }) {
  const { t } = useI18n();
  const { signedIn } = useSession();
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [pending, setPending] = useState(false);
  const [problem, setProblem] = useState<Problem>();
  const usernameInput = useRef<HTMLInputElement>(null);
  const ssoLoginUrl = useSsoLoginUrl();

  useEffect(() => usernameInput.current?.focus(), []);

  const onSubmit = async (event: FormEvent<HTMLFormElement>) => {
    event.preventDefault();
    if (pending) return;
    if (username.trim() === '' || password === '') {
      setProblem(() => (m: Messages) => m.login.missingFields);
      return;
    }
    setPending(true);
    setProblem(undefined);
    try {
      const user = await login(username.trim(), password);
      signedIn(user);
      navigate('/', { replace: true });
    } catch (error) {
      setProblem(() => problemFor(error));
      setPassword('');
      setPending(false);
    }
  };

  return (
    <main className="login-page">
      <div className="login-language">
        <LanguageSwitch />
      </div>
      <form className="login-card" data-testid="login-form" noValidate onSubmit={onSubmit}>
        <div className="login-brand">
          <ProductMark size={56} />
          <h1 data-testid="product-name">{t.productName}</h1>
          <p className="muted">{t.productTagline}</p>
        </div>
        <h2>{t.login.title}</h2>
        <p className="muted">{t.login.subtitle}</p>

        {notice && !problem && (
          <p className="banner banner-info" data-testid="login-notice">
            {notice === 'expired' ? t.session.expired : t.session.signedOut}
          </p>
        )}
        {problem && (
          <p className="banner banner-error" role="alert" data-testid="login-error">
            {problem(t)}
          </p>
        )}

        <label className="field">
          <span>{t.login.username}</span>
          <input
            ref={usernameInput}
            name="username"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            value={username}
            onChange={(event) => setUsername(event.target.value)}
            data-testid="login-username"
          />
        </label>
        <label className="field">
          <span>{t.login.password}</span>
          <input
            type="password"
            name="password"
            autoComplete="current-password"
            value={password}
            onChange={(event) => setPassword(event.target.value)}
            data-testid="login-password"
          />
        </label>
        <button
          type="submit"
          className="button button-primary"
          disabled={pending}
          data-testid="login-submit"
        >
          {pending ? t.login.submitting : t.login.submit}
        </button>
        {ssoLoginUrl && (
          <>
            <p className="muted" style={{ textAlign: 'center', margin: 0 }}>
              {t.login.or}
            </p>
            {/* A plain link: the SSO sign-in is a chain of full-page redirects. */}
            <a
              className="button"
              href={ssoLoginUrl}
              title={t.login.ssoHint}
              style={{ textAlign: 'center', textDecoration: 'none' }}
              data-testid="login-sso"
            >
              {t.login.sso}
            </a>
          </>
        )}
      </form>
    </main>
  );
}

/** Where "Sign in with SSO" leads, once the server says the SSO is configured; else undefined. */
function useSsoLoginUrl(): string | undefined {
  const [url, setUrl] = useState<string>();
  useEffect(() => {
    const controller = new AbortController();
    requestJson('GET', '/api/v1/auth/methods', { signal: controller.signal })
      .then((answer) => {
        const loginUrl = (answer as { oidc?: { loginUrl?: unknown } | null }).oidc?.loginUrl;
        // Only a path on this server: the answer decides where the browser goes.
        if (typeof loginUrl === 'string' && /^\/(?![/\\])/.test(loginUrl)) setUrl(loginUrl);
      })
      // Without the answer the password form still works; the SSO button stays hidden.
      .catch(() => {});
    return () => controller.abort();
  }, []);
  return url;
}
