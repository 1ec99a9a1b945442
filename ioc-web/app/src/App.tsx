import { lazy, Suspense } from 'react';
import { I18nProvider } from './i18n/i18n';
import { ConsolePage } from './pages/ConsolePage';
import { LoginPage } from './pages/LoginPage';
import { NotFoundPage } from './pages/NotFoundPage';
import { SessionSplash } from './pages/SessionSplash';
import { Redirect, usePath } from './router';
import { SessionProvider, useSession } from './session';

// The wall pulls in maplibre and deck.gl: load it only when a wall is opened.
const WallPage = lazy(() => import('./wall/WallPage'));
// The operator console (alerts, devices, admin pages and the uPlot chart): its own chunk too.
const OperatorConsole = lazy(() => import('./console/ConsoleApp'));
// The conference page carries mediasoup-client: its own chunk, loaded from a join link.
const ConferencePage = lazy(() => import('./conference/ConferencePage'));
const SpeakerScreen = lazy(() => import('./conference/SpeakerScreen'));

export function App() {
  return (
    <I18nProvider>
      <SessionProvider>
        <Routes />
      </SessionProvider>
    </I18nProvider>
  );
}

function Routes() {
  const path = usePath();
  const { state } = useSession();

  if (state.status === 'checking' || state.status === 'unreachable') return <SessionSplash />;

  if (path === '/wall' || path === '/wall/') return <Redirect to="/wall/tinh" />;
  const wall = /^\/wall\/([A-Za-z0-9_-]{1,64})\/?$/.exec(path);
  if (wall?.[1]) {
    if (state.status !== 'signed-in') return <Redirect to="/login" />;
    return (
      <Suspense fallback={<SessionSplash />}>
        <WallPage room={wall[1]} />
      </Suspense>
    );
  }

  if (path === '/console' || path.startsWith('/console/')) {
    if (state.status !== 'signed-in') return <Redirect to="/login" />;
    return (
      <Suspense fallback={<SessionSplash />}>
        <OperatorConsole user={state.user} />
      </Suspense>
    );
  }

  // Commune staff arrive with a join link (?t=) and no session: the page itself decides.
  const conference = /^\/conference\/([A-Za-z0-9_-]{1,64})(\/speaker)?\/?$/.exec(path);
  if (conference?.[1]) {
    return (
      <Suspense fallback={<SessionSplash />}>
        {conference[2] ? (
          <SpeakerScreen conferenceId={conference[1]} />
        ) : (
          <ConferencePage conferenceId={conference[1]} />
        )}
      </Suspense>
    );
  }

  switch (path) {
    case '/login':
      if (state.status === 'signed-in') return <Redirect to="/" />;
      return <LoginPage notice={state.notice} />;
    case '/':
      if (state.status !== 'signed-in') return <Redirect to="/login" />;
      return <ConsolePage user={state.user} />;
    default:
      return <NotFoundPage />;
  }
}
