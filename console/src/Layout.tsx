import type { ComponentChildren } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { useLang, useT } from './i18n';
import { useSession } from './state';
import { Icon } from './ui';

export const NAV: { path: string; label: string; icon: string; localOnly?: boolean; notForViewers?: boolean }[] = [
  { path: 'overview', label: 'Overview', icon: 'overview' },
  { path: 'applications', label: 'My Application', icon: 'apps', notForViewers: true },
  { path: 'templates', label: 'WhatsApp Template', icon: 'template', notForViewers: true },
  { path: 'broadcasts', label: 'Broadcast', icon: 'broadcast' },
  { path: 'monitoring', label: 'Monitoring', icon: 'monitor' },
  { path: 'reports', label: 'Generate Report', icon: 'report' },
  { path: 'usage', label: 'Usage', icon: 'usage' },
  { path: 'settings', label: 'Settings', icon: 'settings', notForViewers: true },
  { path: 'team', label: 'Team', icon: 'team' },
  { path: 'account', label: 'Sign-in security', icon: 'key' },
  // The simulator's test inbox: the API has it in the local stage only.
  { path: 'inbox', label: 'Test inbox', icon: 'inbox', localOnly: true },
];

export function Brand() {
  return (
    <span class="brand">
      <span class="brand-mark" aria-hidden="true">
        <Icon name="send" size={18} />
      </span>
      <span class="brand-name">Kirim</span>
    </span>
  );
}

export function LangSwitch() {
  const { lang, setLang, t } = useLang();
  return (
    <div class="lang" role="group" aria-label={t('Language')}>
      <button type="button" class={lang === 'en' ? 'on' : ''} aria-pressed={lang === 'en'} onClick={() => setLang('en')} lang="en" title="English">
        EN
      </button>
      <button type="button" class={lang === 'id' ? 'on' : ''} aria-pressed={lang === 'id'} onClick={() => setLang('id')} lang="id" title="Bahasa Indonesia">
        ID
      </button>
    </div>
  );
}

export function Layout({ page, children }: { page: string; children: ComponentChildren }) {
  const t = useT();
  const session = useSession();
  const [menuOpen, setMenuOpen] = useState(false);
  useEffect(() => setMenuOpen(false), [page]);
  const showAppPicker = page !== 'applications' && (session.apps?.length || 0) > 0;
  return (
    <div class={'shell' + (menuOpen ? ' menu-open' : '')}>
      <a class="skip" href="#main" onClick={(e) => { e.preventDefault(); document.getElementById('main')?.focus(); }}>
        Skip to content
      </a>
      <aside class="sidebar" id="sidebar">
        <div class="sidebar-head">
          <Brand />
          <button type="button" class="icon-btn menu-close" onClick={() => setMenuOpen(false)} aria-label={t('Close menu')}>
            <Icon name="close" />
          </button>
        </div>
        <nav aria-label={t('Main navigation')}>
          <ul>
            {NAV.filter((item) => (!item.localOnly || session.me.stage === 'local') && !(item.notForViewers && session.app?.role === 'viewer')).map((item) => (
              <li key={item.path}>
                <a href={'#/' + item.path} class={page === item.path ? 'active' : ''} aria-current={page === item.path ? 'page' : undefined} data-nav={item.path}>
                  <Icon name={item.icon} />
                  <span>{t(item.label)}</span>
                </a>
              </li>
            ))}
          </ul>
        </nav>
        <div class="sidebar-foot">
          <div class="muted small who" title={session.me.email}>
            {session.me.name || session.me.email}
            <span class="block">{session.me.email}</span>
          </div>
          {session.me.stage === 'local' && (
            // `make run` serves the documentation site it built (`make docs`) beside the API.
            <a class="btn btn-ghost btn-block" href="/docs/guide/" target="_blank" rel="noopener" data-testid="guide">
              <Icon name="report" size={18} />
              {t('Guide')}
            </a>
          )}
          <button type="button" class="btn btn-ghost btn-block" onClick={session.signOut} data-testid="sign-out">
            <Icon name="logout" size={18} />
            {t('Sign out')}
          </button>
        </div>
      </aside>
      <div class="scrim" onClick={() => setMenuOpen(false)} aria-hidden="true" />
      <div class="main-col">
        <header class="topbar">
          <button type="button" class="icon-btn menu-btn" onClick={() => setMenuOpen(true)} aria-label={t('Menu')} aria-expanded={menuOpen} aria-controls="sidebar" data-testid="menu-button">
            <Icon name="menu" />
          </button>
          <span class="topbar-brand">
            <Brand />
          </span>
          {showAppPicker && (
            <div class="app-picker">
              <label for="app-picker">{t('Application')}</label>
              <select id="app-picker" value={session.app?.application_id} onChange={(e) => session.selectApp((e.target as HTMLSelectElement).value)}>
                {session.apps!.map((a) => (
                  <option key={a.application_id} value={a.application_id}>
                    {a.name}
                  </option>
                ))}
              </select>
            </div>
          )}
          <span class="grow" />
          <LangSwitch />
        </header>
        <main id="main" tabIndex={-1}>
          {children}
        </main>
      </div>
    </div>
  );
}
