// What every page shares: who is signed in, their applications, and the application picked.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import type { Application, Me } from './api/types';

export interface Session {
  me: Me;
  apps: Application[] | undefined;
  appsError: unknown;
  /** the application the pages show; undefined while none exists */
  app: Application | undefined;
  selectApp: (applicationId: string) => void;
  /** re-reads the list (after a create, a key change); resolves to it */
  refreshApps: () => Promise<Application[]>;
  /** replaces one application in the list with a fresher copy */
  updateApp: (app: Application) => void;
  signOut: () => void;
}

export const SessionContext = createContext<Session | null>(null);
export function useSession(): Session {
  const session = useContext(SessionContext);
  if (!session) throw new Error('no session');
  return session;
}
