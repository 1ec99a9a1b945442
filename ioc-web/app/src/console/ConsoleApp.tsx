// The operator console (/console/...): alerts, devices and the admin pages, one lazily
// loaded chunk. Sub-pages live in the path so deep links, reloads and Back work.
import type { User } from '../api/ioc-api';
import { AppHeader } from '../components/AppHeader';
import { useI18n } from '../i18n/i18n';
import { navigate, usePath } from '../router';
import { AuditView } from './admin/AuditView';
import { DeviceAdminView } from './admin/DeviceAdminView';
import { KpiAdminView } from './admin/KpiAdminView';
import { RoomAdminView } from './admin/RoomAdminView';
import { RoomsView } from './admin/RoomsView';
import { RulesView } from './admin/RulesView';
import { UsersView } from './admin/UsersView';
import { AlertsView } from './alerts/AlertsView';
import { ConferencesView } from './conferences/ConferencesView';
import { DeviceDetail } from './devices/DeviceDetail';
import { DevicesView } from './devices/DevicesView';
import { ReferenceProvider } from './reference';
import './console.css';

type Section =
  | 'alerts'
  | 'conferences'
  | 'devices'
  | 'rules'
  | 'rooms'
  | 'audit'
  | 'users'
  | 'device-admin'
  | 'room-admin'
  | 'kpi-admin';
/** Pages only administrators see in the menu (the server refuses others anyway). */
const ADMIN_SECTIONS: Section[] = ['audit', 'users', 'device-admin', 'room-admin', 'kpi-admin'];

interface Route {
  section: Section;
  /** The alert or device id after the section, if any. */
  id?: string;
}

function routeOf(path: string): Route {
  const [, , section, id] = path.split('/');
  const known: Section[] = [
    'alerts',
    'conferences',
    'devices',
    'rules',
    'rooms',
    ...ADMIN_SECTIONS,
  ];
  const found = known.find((s) => s === section) ?? 'alerts';
  return { section: found, id: id ? decodeURIComponent(id) : undefined };
}

export default function ConsoleApp({ user }: { user: User }) {
  const { t } = useI18n();
  const route = routeOf(usePath());
  const sections: Section[] = ['alerts', 'conferences', 'devices', 'rules', 'rooms'];
  if (user.role === 'admin') sections.push(...ADMIN_SECTIONS);

  return (
    <ReferenceProvider>
      <div className="console ops-console" data-testid="ops-console">
        <AppHeader user={user} />
        <nav className="ops-nav" aria-label={t.console.nav.label}>
          <ul>
            <li>
              <NavLink to="/" current={false}>
                {t.console.nav.home}
              </NavLink>
            </li>
            {sections.map((section) => (
              <li key={section}>
                <NavLink to={`/console/${section}`} current={route.section === section}>
                  {section === 'conferences' ? t.conferences.nav : t.console.nav[section]}
                </NavLink>
              </li>
            ))}
          </ul>
        </nav>
        <main className="ops-main" id="console-main">
          <Section route={route} user={user} />
        </main>
      </div>
    </ReferenceProvider>
  );
}

function Section({ route, user }: { route: Route; user: User }) {
  switch (route.section) {
    case 'alerts':
      return <AlertsView user={user} selectedId={route.id} />;
    case 'conferences':
      return <ConferencesView user={user} selectedId={route.id} />;
    case 'devices':
      return route.id ? <DeviceDetail id={route.id} /> : <DevicesView />;
    case 'rules':
      return <RulesView user={user} />;
    case 'rooms':
      return <RoomsView />;
    case 'audit':
      return <AuditView user={user} />;
    case 'users':
      return <UsersView />;
    case 'device-admin':
      return <DeviceAdminView />;
    case 'room-admin':
      return <RoomAdminView />;
    case 'kpi-admin':
      return <KpiAdminView />;
  }
}

function NavLink({ to, current, children }: { to: string; current: boolean; children: string }) {
  return (
    <a
      href={to}
      aria-current={current ? 'page' : undefined}
      data-testid={`nav-${to.split('/')[2] ?? 'home'}`}
      onClick={(event) => {
        if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey) return;
        event.preventDefault();
        navigate(to);
      }}
    >
      {children}
    </a>
  );
}
