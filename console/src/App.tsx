import { useCallback, useEffect, useMemo, useState } from 'preact/hooks';
import { api, get, onUnauthorized } from './api/client';
import type { Application, ApplicationList, Me } from './api/types';
import { LangContext, storeLang, storedLang, translator, useT, type Lang } from './i18n';
import { Layout } from './Layout';
import { navigate, useRoute } from './router';
import { SessionContext, useSession, type Session } from './state';
import { ErrorState, Loading, Empty, useFocusHeadingOnRoute } from './ui';
import type { Route } from './router';
import { AuthPage } from './pages/Auth';
import { Overview } from './pages/Overview';
import { Applications } from './pages/Applications';
import { Templates } from './pages/Templates';
import { Monitoring } from './pages/Monitoring';
import { Reports } from './pages/Reports';
import { Settings } from './pages/Settings';
import { TestInbox } from './pages/TestInbox';
import { Usage } from './pages/Usage';
import { Account } from './pages/Account';
import { AcceptInvitation, NOT_FOR_VIEWERS, Team, afterSignIn, rememberInvite } from './pages/Team';

type Auth = { state: 'checking' } | { state: 'out'; notice?: string } | { state: 'in'; me: Me } | { state: 'error'; error: unknown };

export function App() {
  const [lang, setLangState] = useState<Lang>(storedLang);
  const langValue = useMemo(() => ({ lang, t: translator(lang), setLang: (l: Lang) => (storeLang(l), setLangState(l)) }), [lang]);
  useEffect(() => {
    document.documentElement.lang = lang;
  }, [lang]);
  return (
    <LangContext.Provider value={langValue}>
      <Root />
    </LangContext.Provider>
  );
}

function Root() {
  const route = useRoute();
  const t = useT();
  const [auth, setAuth] = useState<Auth>({ state: 'checking' });
  const [apps, setApps] = useState<Application[] | undefined>(undefined);
  const [appsError, setAppsError] = useState<unknown>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [check, setCheck] = useState(0);

  useEffect(() => {
    api<Me>('GET', '/auth/me', { anonymous: true }).then(
      (me) => setAuth({ state: 'in', me }),
      (error) => setAuth(error?.status === 401 ? { state: 'out' } : { state: 'error', error }),
    );
  }, [check]);
  useEffect(() => {
    onUnauthorized(() => {
      setApps(undefined);
      setAuth({ state: 'out', notice: 'Your session ended. Sign in again.' });
    });
  }, []);

  const refreshApps = useCallback(async () => {
    try {
      const list = (await get<ApplicationList>('/applications')).items;
      setApps(list);
      setAppsError(null);
      return list;
    } catch (error) {
      setAppsError(error);
      throw error;
    }
  }, []);
  const signedIn = auth.state === 'in';
  useEffect(() => {
    if (signedIn) refreshApps().catch(() => undefined);
  }, [signedIn]);

  // The list comes newest first: pin the application shown first, so that one created later (here or in
  // another tab) does not take its place in the selector on the next refresh.
  const firstId = apps?.[0]?.application_id;
  useEffect(() => {
    if (selected === null && firstId) setSelected(firstId);
  }, [selected, firstId]);

  const page = route.path[0] || 'overview';
  useFocusHeadingOnRoute(route.path.join('/'));
  // Signed in on the sign-in page: go to the Overview; signed out anywhere else: sign in.
  useEffect(() => {
    if (auth.state === 'in' && (page === 'login' || page === 'register')) navigate(afterSignIn());
  }, [auth.state, page]);

  if (auth.state === 'checking') return <Loading />;
  if (auth.state === 'error') return <ErrorState error={auth.error} onRetry={() => setCheck((n) => n + 1)} />;
  if (auth.state === 'out') {
    if (page === 'invite' && route.path[1]) rememberInvite(route.path[1]);
    return (
      <AuthPage
        key={page}
        mode={page === 'register' ? 'register' : 'login'}
        notice={auth.notice ? t(auth.notice) : page === 'invite' ? t('Sign in, or create an account, with the email the invitation was sent to.') : undefined}
        onSignedIn={(me) => {
          // Back to the page the owner was on when the session ended (sign-in and register go to the Overview).
          // (from the sign-in page, the effect above goes on to a pending invitation or the Overview)
          setAuth({ state: 'in', me });
        }}
      />
    );
  }

  const app = apps?.find((a) => a.application_id === selected) || apps?.[0];
  const session: Session = {
    me: auth.me,
    apps,
    appsError,
    app,
    selectApp: setSelected,
    refreshApps,
    updateApp: (fresh) =>
      setApps((list) => (list?.some((a) => a.application_id === fresh.application_id) ? list.map((a) => (a.application_id === fresh.application_id ? fresh : a)) : [fresh, ...(list || [])])),
    signOut: async () => {
      try {
        await api('POST', '/auth/logout', { anonymous: true });
      } catch {
        /* the cookie is gone or the session already ended: signed out either way */
      }
      setApps(undefined);
      setSelected(null);
      setAuth({ state: 'out' });
      navigate('/login');
    },
  };

  return (
    <SessionContext.Provider value={session}>
      <Layout page={page}>
        <Page page={page} route={route} apps={apps} appsError={appsError} local={auth.me.stage === 'local'} retry={() => refreshApps().catch(() => undefined)} />
      </Layout>
    </SessionContext.Provider>
  );
}

function Page({ page, route, apps, appsError, local, retry }: { page: string; route: ReturnType<typeof useRoute>; apps: Application[] | undefined; appsError: unknown; local: boolean; retry: () => void }) {
  // A viewer of the application picked sees no page of keys, templates or settings (the API says 403 too).
  if (useSession().app?.role === 'viewer' && NOT_FOR_VIEWERS.includes(page)) return <NotForYourRole />;
  if (page === 'applications') return <Applications route={route} />;
  if (page === 'inbox' && local) return <TestInbox />;
  if (page === 'invite') return <AcceptInvitation token={route.path[1] || ''} />;
  if (page === 'account') return <Account />;
  if (!apps) return appsError ? <ErrorState error={appsError} onRetry={retry} /> : <Loading />;
  switch (page) {
    case 'overview':
      return <Overview />;
    case 'templates':
      return <Templates route={route} />;
    case 'broadcasts':
      return <LazyBroadcasts route={route} />;
    case 'monitoring':
      return <Monitoring route={route} />;
    case 'reports':
      return <Reports />;
    case 'usage':
      return <Usage />;
    case 'settings':
      return <Settings />;
    case 'team':
      return <Team />;
    default:
      return <NotFound />;
  }
}

// The Broadcast page is big and few open it: its own file, fetched the first time it is shown.
type BroadcastsPage = typeof import('./pages/Broadcasts').Broadcasts;
let broadcastsPage: BroadcastsPage | undefined;
function LazyBroadcasts({ route }: { route: Route }) {
  const [page, setPage] = useState<{ Page: BroadcastsPage } | null>(broadcastsPage ? { Page: broadcastsPage } : null);
  const [error, setError] = useState<unknown>(null);
  const [attempt, setAttempt] = useState(0);
  useEffect(() => {
    if (page) return;
    import('./pages/Broadcasts').then(
      (m) => setPage({ Page: (broadcastsPage = m.Broadcasts) }),
      (err) => setError(err),
    );
  }, [attempt]);
  if (error) return <ErrorState error={error} onRetry={() => (setError(null), setAttempt((n) => n + 1))} />;
  return page ? <page.Page route={route} /> : <Loading />;
}

function NotForYourRole() {
  const t = useT();
  return <Empty icon="alert" message={t('Your role in this application does not include this page.')} action={{ label: t('Go to Overview'), href: '#/overview' }} />;
}

function NotFound() {
  const t = useT();
  return (
    <Empty icon="alert" message={t('Page not found.')} action={{ label: t('Go to Overview'), href: '#/overview' }} />
  );
}
