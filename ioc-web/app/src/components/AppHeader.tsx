import type { User } from '../api/ioc-api';
import { labelFor, useI18n } from '../i18n/i18n';
import { useSession } from '../session';
import { Clock } from './Clock';
import { LanguageSwitch } from './LanguageSwitch';
import { ProductMark } from './ProductMark';

export function AppHeader({ user }: { user: User }) {
  const { t } = useI18n();
  const { signOut } = useSession();
  return (
    <header className="app-header" data-testid="app-header">
      <div className="brand">
        <ProductMark />
        <div>
          <h1 className="brand-name" data-testid="product-name">
            {t.productName}
          </h1>
          <p className="brand-tagline">{t.productTagline}</p>
        </div>
      </div>
      <div className="header-tools">
        <Clock />
        <div className="user-badge" data-testid="user-badge" title={t.header.signedInAs}>
          <span className="user-name" data-testid="user-name">
            {user.displayName}
          </span>
          <span className="user-role" data-testid="user-role">
            {labelFor(t.header.roles, user.role)}
          </span>
        </div>
        <LanguageSwitch />
        <button
          type="button"
          className="button button-quiet"
          data-testid="logout"
          onClick={() => void signOut()}
        >
          {t.header.logout}
        </button>
      </div>
    </header>
  );
}
