import type { User } from '../api/ioc-api';
import { AppHeader } from '../components/AppHeader';
import { StatusPanel } from '../components/StatusPanel';
import { UnitTreePanel } from '../components/UnitTreePanel';

export function ConsolePage({ user }: { user: User }) {
  return (
    <div className="console" data-testid="console">
      <AppHeader user={user} />
      <main className="console-grid">
        <StatusPanel />
        <UnitTreePanel />
      </main>
    </div>
  );
}
