// Small building blocks shared by every page: icons, states, tables, fields, dialogs.
import type { ComponentChildren, JSX } from 'preact';
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError } from './api/client';
import { type Fault, fieldMessages, isServerFault, reasonText, summaryLine } from './errors';
import { type T, useT } from './i18n';
import { outcome } from './channels';
import type { Channel } from './api/types';
import { statusMeaning } from './statusWords';
import { DateField } from './DateField';
import { daysAgo, isoDay } from './format';

// ---------------------------------------------------------------- icons (inline SVG, no files)
const PATHS: Record<string, string> = {
  overview: 'M3 13h8V3H3v10zm0 8h8v-6H3v6zm10 0h8V11h-8v10zm0-18v6h8V3h-8z',
  apps: 'M4 8h4V4H4v4zm6 12h4v-4h-4v4zm-6 0h4v-4H4v4zm0-6h4v-4H4v4zm6 0h4v-4h-4v4zm6-10v4h4V4h-4zm-6 4h4V4h-4v4zm6 6h4v-4h-4v4zm0 6h4v-4h-4v4z',
  template: 'M20 2H4a2 2 0 0 0-2 2v18l4-4h14a2 2 0 0 0 2-2V4a2 2 0 0 0-2-2zm-3 11H7v-2h10v2zm0-3H7V8h10v2zm0-3H7V5h10v2z',
  monitor: 'M3.5 18.5 9.5 12.5l4 4L22 6.92 20.59 5.5l-7.09 7.97-4-4L2 16.99z',
  report: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm-1 7V3.5L18.5 9H13zM8 17v-2h8v2H8zm0-4v-2h8v2H8z',
  settings: 'M19.14 12.94a7.07 7.07 0 0 0 .05-.94 7.07 7.07 0 0 0-.05-.94l2.03-1.58a.5.5 0 0 0 .12-.64l-1.92-3.32a.5.5 0 0 0-.61-.22l-2.39.96a7 7 0 0 0-1.62-.94l-.36-2.54A.5.5 0 0 0 13.9 2h-3.84a.5.5 0 0 0-.49.42l-.36 2.54a7 7 0 0 0-1.62.94l-2.39-.96a.5.5 0 0 0-.61.22L2.67 8.48a.5.5 0 0 0 .12.64l2.03 1.58a7.07 7.07 0 0 0 0 1.88l-2.03 1.58a.5.5 0 0 0-.12.64l1.92 3.32c.13.22.39.3.61.22l2.39-.96c.5.38 1.04.7 1.62.94l.36 2.54c.05.24.25.42.49.42h3.84c.24 0 .45-.18.49-.42l.36-2.54a7 7 0 0 0 1.62-.94l2.39.96c.22.08.48 0 .61-.22l1.92-3.32a.5.5 0 0 0-.12-.64l-2.03-1.58zM12 15.6A3.6 3.6 0 1 1 12 8.4a3.6 3.6 0 0 1 0 7.2z',
  menu: 'M3 18h18v-2H3v2zm0-5h18v-2H3v2zm0-7v2h18V6H3z',
  close: 'M19 6.41 17.59 5 12 10.59 6.41 5 5 6.41 10.59 12 5 17.59 6.41 19 12 13.41 17.59 19 19 17.59 13.41 12z',
  copy: 'M16 1H4a2 2 0 0 0-2 2v14h2V3h12V1zm3 4H8a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h11a2 2 0 0 0 2-2V7a2 2 0 0 0-2-2zm0 16H8V7h11v14z',
  download: 'M19 9h-4V3H9v6H5l7 7 7-7zM5 18v2h14v-2H5z',
  plus: 'M19 13h-6v6h-2v-6H5v-2h6V5h2v6h6v2z',
  key: 'M12.65 10A6 6 0 1 0 12.65 14H17v4h4v-4h2v-4H12.65zM7 14a2 2 0 1 1 0-4 2 2 0 0 1 0 4z',
  logout: 'M17 7l-1.41 1.41L18.17 11H8v2h10.17l-2.58 2.58L17 17l5-5-5-5zM4 5h8V3H4a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h8v-2H4V5z',
  alert: 'M1 21h22L12 2 1 21zm12-3h-2v-2h2v2zm0-4h-2v-4h2v4z',
  inbox: 'M19 3H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2V5a2 2 0 0 0-2-2zm0 12h-4a3 3 0 0 1-6 0H5V5h14v10z',
  up: 'M7 14l5-5 5 5z',
  down: 'M7 10l5 5 5-5z',
  image: 'M21 19V5a2 2 0 0 0-2-2H5a2 2 0 0 0-2 2v14a2 2 0 0 0 2 2h14a2 2 0 0 0 2-2zM8.5 13.5l2.5 3 3.5-4.5 4.5 6H5l3.5-4.5z',
  video: 'M17 10.5V7a1 1 0 0 0-1-1H4a1 1 0 0 0-1 1v10a1 1 0 0 0 1 1h12a1 1 0 0 0 1-1v-3.5l4 4v-11l-4 4z',
  doc: 'M14 2H6a2 2 0 0 0-2 2v16a2 2 0 0 0 2 2h12a2 2 0 0 0 2-2V8l-6-6zm4 18H6V4h7v5h5v11z',
  pin: 'M12 2a7 7 0 0 0-7 7c0 5.25 7 13 7 13s7-7.75 7-13a7 7 0 0 0-7-7zm0 9.5a2.5 2.5 0 1 1 0-5 2.5 2.5 0 0 1 0 5z',
  link: 'M3.9 12a3.1 3.1 0 0 1 3.1-3.1h4V7H7a5 5 0 0 0 0 10h4v-1.9H7A3.1 3.1 0 0 1 3.9 12zM8 13h8v-2H8v2zm9-6h-4v1.9h4a3.1 3.1 0 0 1 0 6.2h-4V17h4a5 5 0 0 0 0-10z',
  phone: 'M6.62 10.79a15.05 15.05 0 0 0 6.59 6.59l2.2-2.2a1 1 0 0 1 1.01-.24 11.36 11.36 0 0 0 3.58.57 1 1 0 0 1 1 1V20a1 1 0 0 1-1 1A17 17 0 0 1 3 4a1 1 0 0 1 1-1h3.5a1 1 0 0 1 1 1c0 1.25.2 2.45.57 3.57a1 1 0 0 1-.25 1.02l-2.2 2.2z',
  reply: 'M10 9V5l-7 7 7 7v-4.1c5 0 8.5 1.6 11 5.1-1-5-4-10-11-11z',
  list: 'M3 13h2v-2H3v2zm0 4h2v-2H3v2zm0-8h2V7H3v2zm4 4h14v-2H7v2zm0 4h14v-2H7v2zM7 7v2h14V7H7z',
  send: 'M2.01 21 23 12 2.01 3 2 10l15 2-15 2z',
  // a loudspeaker: one message to many
  broadcast: 'M18 11v2h4v-2h-4zm-2 6.61c.96.71 2.21 1.65 3.2 2.39.4-.53.8-1.07 1.2-1.6-.99-.74-2.24-1.68-3.2-2.4-.4.54-.8 1.08-1.2 1.61zM20.4 5.6c-.4-.53-.8-1.07-1.2-1.6-.99.74-2.24 1.68-3.2 2.4.4.53.8 1.07 1.2 1.6.96-.72 2.21-1.65 3.2-2.4zM4 9c-1.1 0-2 .9-2 2v2c0 1.1.9 2 2 2h1v4h2v-4h1l5 3V6L8 9H4zm11.5 3c0-1.33-.58-2.53-1.5-3.35v6.69c.92-.81 1.5-2.01 1.5-3.34z',
  upload: 'M9 16h6v-6h4l-7-7-7 7h4v6zm-4 2h14v2H5v-2z',
  check: 'M9 16.17 4.83 12l-1.42 1.41L9 19 21 7l-1.41-1.41z',
  usage: 'M13 2.05v3.03c3.39.49 6 3.39 6 6.92 0 .9-.18 1.75-.48 2.54l2.6 1.53c.56-1.24.88-2.62.88-4.07 0-5.18-3.95-9.45-9-9.95zM12 19c-3.87 0-7-3.13-7-7 0-3.53 2.61-6.43 6-6.92V2.05c-5.06.5-9 4.76-9 9.95 0 5.52 4.47 10 9.99 10 3.31 0 6.24-1.61 8.06-4.09l-2.6-1.53A6.95 6.95 0 0 1 12 19z',
  team: 'M16 11a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm-8 0a3 3 0 1 0 0-6 3 3 0 0 0 0 6zm0 2c-2.33 0-7 1.17-7 3.5V19h14v-2.5c0-2.33-4.67-3.5-7-3.5zm8 0c-.29 0-.62.02-.97.05A4.2 4.2 0 0 1 17 16.5V19h6v-2.5c0-2.33-4.67-3.5-7-3.5z',
};

export function Icon({ name, size = 20, label }: { name: keyof typeof PATHS | string; size?: number; label?: string }) {
  return (
    <svg class="icon" width={size} height={size} viewBox="0 0 24 24" aria-hidden={label ? undefined : 'true'} role={label ? 'img' : undefined} aria-label={label} focusable="false">
      <path d={PATHS[name] || ''} fill="currentColor" />
    </svg>
  );
}

// ---------------------------------------------------------------- loading data
export interface Loaded<T> {
  data: T | undefined;
  error: unknown;
  loading: boolean;
  reload: () => void;
  setData: (value: T) => void;
}

/** Runs `load` when `deps` change; the newest run wins, earlier ones are aborted. */
export function useLoad<T>(load: ((signal: AbortSignal) => Promise<T>) | null, deps: unknown[]): Loaded<T> {
  const [data, setData] = useState<T | undefined>(undefined);
  const [error, setError] = useState<unknown>(null);
  const [loading, setLoading] = useState(Boolean(load));
  const [tick, setTick] = useState(0);
  useEffect(() => {
    if (!load) {
      setLoading(false);
      return;
    }
    const controller = new AbortController();
    setLoading(true);
    setError(null);
    load(controller.signal).then(
      (value) => {
        if (!controller.signal.aborted) {
          setData(value);
          setLoading(false);
        }
      },
      (err) => {
        if (!controller.signal.aborted) {
          setError(err);
          setLoading(false);
        }
      },
    );
    return () => controller.abort();
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [...deps, tick]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload, setData };
}

/** A poll's failure, kept apart from the page's own errors: shown while polls fail, gone at the next good
 * one. `failures` counts them: among a polling effect's deps, it arms the next poll after a failed one
 * (the data did not change, so nothing else would). */
export function usePollFailure() {
  const [state, setState] = useState<{ error: unknown; failures: number }>({ error: null, failures: 0 });
  const failed = useCallback((error: unknown) => setState((s) => ({ error, failures: s.failures + 1 })), []);
  const succeeded = useCallback(() => setState((s) => (s.error ? { error: null, failures: s.failures } : s)), []);
  return { error: state.error, failures: state.failures, failed, succeeded };
}

/** A failed poll, said without alarm: the page tries again by itself (an ended session says so instead). */
export function PollFailure({ error }: { error: unknown }) {
  const t = useT();
  if (!error) return null;
  const ended = error instanceof ApiError && error.status === 401;
  return <Alert kind="warning">{ended ? errorText(error, t) : t('The latest figures could not be read. The page tries again every few seconds.')}</Alert>;
}

// ---------------------------------------------------------------- states
export function Loading({ label }: { label?: string }) {
  const t = useT();
  return (
    <div class="state state-loading" role="status" aria-live="polite">
      <span class="spinner" aria-hidden="true" />
      <span>{label || t('Loading…')}</span>
    </div>
  );
}

/** An error as the page says it, in its language (errors.ts): never a path, a code or a bare HTTP status. */
export function errorText(error: unknown, t: T): string {
  if (error instanceof ApiError) {
    if (error.status === 0) return t('Cannot reach Kirim. Check your connection and try again.');
    if (error.status === 429) return tooManyText(error.retryAfter, t);
    if (error.status >= 500) return t('Kirim had a problem on its side. Try again in a moment.');
    if (error.status === 401 && !error.items.some((i) => (i as Fault).reason === 'invalid_credentials')) return t('Your session ended. Sign in again.');
    return error.items.map((i) => summaryLine(i as Fault, t)).join(' ');
  }
  return t('Something went wrong');
}

/** A refusal past a limit, in the reader's language: how long to wait, in seconds or minutes. */
function tooManyText(seconds: number | undefined, t: T): string {
  if (!seconds) return t('Too many requests. Wait a moment and try again.');
  if (seconds <= 90) return t('Too many requests. Wait {n} seconds and try again.', { n: Math.ceil(seconds) });
  return t('Too many requests. Wait {n} minutes and try again.', { n: Math.ceil(seconds / 60) });
}

export function ErrorState({ error, onRetry }: { error: unknown; onRetry?: () => void }) {
  const t = useT();
  return (
    <div class="state state-error" role="alert">
      <Icon name="alert" size={28} />
      <p>{errorText(error, t)}</p>
      {onRetry && (
        <button type="button" class="btn btn-secondary" onClick={onRetry}>
          {t('Try again')}
        </button>
      )}
    </div>
  );
}

/** What a load gives: its error (with Try again) while there is nothing to show, else a spinner until
 * `data` arrives, then `children` drawn with it. `keepOnError`: a failed reload (a poll) keeps what was
 * drawn instead of the error. */
export function WhenLoaded<T>({ loaded, data, keepOnError, children }: { loaded: Pick<Loaded<unknown>, 'error' | 'reload'>; data: T | undefined; keepOnError?: boolean; children: (data: T) => ComponentChildren }) {
  if (loaded.error && !(keepOnError && data !== undefined)) return <ErrorState error={loaded.error} onRetry={loaded.reload} />;
  if (data === undefined) return <Loading />;
  return <>{children(data)}</>;
}

/** The one next step an empty state offers, drawn as the primary button: a link, or a button. */
export type NextStep = { label: string; href: string } | { label: string; onClick: () => void };
export interface EmptyProps {
  message: string;
  icon?: string;
  action?: NextStep | false;
}

export function Empty({ message, icon = 'inbox', action }: EmptyProps) {
  return (
    <div class="state state-empty">
      <Icon name={icon} size={32} />
      <div>
        <p>{message}</p>
        {action &&
          ('href' in action ? (
            <a class="btn btn-primary" href={action.href}>
              {action.label}
            </a>
          ) : (
            <button type="button" class="btn btn-primary" onClick={action.onClick}>
              {action.label}
            </button>
          ))}
      </div>
    </div>
  );
}

export function Alert({ kind = 'error', children }: { kind?: 'error' | 'success' | 'info' | 'warning'; children: ComponentChildren }) {
  return (
    <div class={`alert alert-${kind}`} role={kind === 'error' ? 'alert' : 'status'}>
      {children}
    </div>
  );
}

export function Card({ title, actions, children, class: cls }: { title?: ComponentChildren; actions?: ComponentChildren; children: ComponentChildren; class?: string }) {
  return (
    <section class={'card ' + (cls || '')}>
      {(title || actions) && (
        <div class="card-head">
          {title && <h2 class="card-title">{title}</h2>}
          {actions && <div class="card-actions">{actions}</div>}
        </div>
      )}
      {children}
    </section>
  );
}

/** After a route change, focus the new page's heading (once it has loaded), so a screen reader reads it and
 * Tab goes on from there. Not on the first load, nor when only the query (filters) changes. */
export function useFocusHeadingOnRoute(pathKey: string) {
  const first = useRef(true);
  useEffect(() => {
    if (first.current) {
      first.current = false;
      return;
    }
    const from = document.activeElement;
    let tries = 0;
    const timer = setInterval(() => {
      const h1 = document.querySelector<HTMLElement>('main h1');
      const active = document.activeElement;
      // The person moved on (typed, clicked elsewhere) or a dialog opened: leave focus where it is.
      const moved = active && active !== from && active !== document.body && !active.matches('main');
      if (h1 || moved || ++tries > 100) clearInterval(timer);
      if (h1 && !moved) h1.focus();
    }, 50);
    return () => clearInterval(timer);
  }, [pathKey]);
}

export function PageHeader({ title, children }: { title: string; children?: ComponentChildren }) {
  return (
    <div class="page-header">
      <h1 tabIndex={-1}>{title}</h1>
      {children && <div class="page-header-actions">{children}</div>}
    </div>
  );
}

/** A status. An OCA status word (no label of ours) is a button that says what it means on this channel: a
 * tap or Enter shows it, not a hover only. */
export function StatusBadge({ status, label, channel }: { status: string; label?: string; channel?: Channel }) {
  const t = useT();
  const [open, setOpen] = useState(false);
  const kind =
    status === 'Active' || status === 'APPROVED' || status === 'Done'
      ? 'success'
      : status === 'Inactive' || status === 'DRAFT'
        ? 'neutral'
        : status === 'REJECTED' || status === 'Failed'
          ? 'failed'
          : status === 'SUBMITTED' || status === 'Processing' || status === 'Preparing'
            ? 'pending'
            : outcome(status);
  const meaning = label ? undefined : statusMeaning(status, channel);
  if (!meaning) return <span class={`badge badge-${kind}`}>{label || status}</span>;
  return (
    <span class="status-word">
      <button
        type="button"
        class={`badge badge-${kind} badge-explain`}
        aria-expanded={open}
        title={t(meaning)}
        onClick={(e) => {
          e.stopPropagation();
          setOpen(!open);
        }}
        onKeyDown={(e) => e.key === 'Escape' && open && (e.stopPropagation(), setOpen(false))}
      >
        {status}
      </button>
      {open && (
        <span class="status-tip" role="status">
          {t(meaning)}
        </span>
      )}
    </span>
  );
}

// ---------------------------------------------------------------- tables
/** A table's column: its header (on a phone also each cell's label) and what a row puts in its cell. */
export interface Column<R> {
  label: string;
  cell: (row: R) => ComponentChildren;
  /** the cells' class, e.g. 'mono', 'nowrap', 'wrap-any' (long ids give way before the row's buttons do) */
  class?: string;
  /** the row's buttons: right-aligned, a header for screen readers only, no label on a phone */
  action?: boolean;
  /** sortable: the header is a button flipping the order (the list is sorted by the API) */
  sort?: { order: 'asc' | 'desc'; onToggle: () => void; title: string; orderLabel: string; testid?: string };
}

/** A list as a table, folded into one card per row on a phone (.table-stack: each cell carries its
 * column's name), scrolling inside its card when wider; `compact` tables stay tables. No rows: `empty`. */
export function Table<R>(props: {
  testid: string;
  label: string;
  columns: Column<R>[];
  rows: R[];
  rowKey: (row: R, index: number) => string | number;
  rowAttrs?: (row: R) => Record<string, string>;
  onRowClick?: (row: R) => void;
  compact?: boolean;
  busy?: boolean;
  empty?: EmptyProps;
}) {
  const { columns, compact, onRowClick } = props;
  if (!props.rows.length) return props.empty ? <Empty {...props.empty} /> : null;
  return (
    <div class="table-wrap">
      <table class={'table ' + (compact ? 'table-compact' : 'table-stack') + (onRowClick ? ' table-click' : '') + (columns.some((c) => c.sort) ? ' table-sortable' : '')} data-testid={props.testid} aria-label={props.label} aria-busy={props.busy}>
        <thead>
          <tr>{columns.map(headerCell)}</tr>
        </thead>
        <tbody>
          {props.rows.map((row, i) => (
            <tr key={props.rowKey(row, i)} {...props.rowAttrs?.(row)} onClick={onRowClick && (() => onRowClick(row))}>
              {columns.map((c, j) => (
                <td key={j} data-label={c.action || compact ? undefined : c.label} class={c.action ? 'right' + (c.class ? ' ' + c.class : '') : c.class}>
                  {c.cell(row)}
                </td>
              ))}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function headerCell<R>(c: Column<R>, i: number) {
  if (c.action) {
    return (
      <th scope="col" key={i}>
        <span class="sr-only">{c.label}</span>
      </th>
    );
  }
  if (!c.sort) {
    return (
      <th scope="col" key={i}>
        {c.label}
      </th>
    );
  }
  const { order, onToggle, title, orderLabel, testid } = c.sort;
  return (
    <th scope="col" key={i} aria-sort={order === 'desc' ? 'descending' : 'ascending'}>
      <button type="button" class="sort" onClick={onToggle} title={title} data-testid={testid}>
        {c.label}
        <Icon name={order === 'desc' ? 'down' : 'up'} size={18} />
        <span class="sr-only">({orderLabel})</span>
      </button>
    </th>
  );
}

/** A list as `<ul class="list">`, one `<li>` a row; no rows: `empty`. */
export function List<R>({ testid, rows, rowKey, rowAttrs, empty, item }: { testid: string; rows: R[]; rowKey: (row: R) => string; rowAttrs?: (row: R) => Record<string, string>; empty: EmptyProps; item: (row: R) => ComponentChildren }) {
  if (!rows.length) return <Empty {...empty} />;
  return (
    <ul class="list" data-testid={testid}>
      {rows.map((row) => (
        <li key={rowKey(row)} {...rowAttrs?.(row)}>
          {item(row)}
        </li>
      ))}
    </ul>
  );
}

/** A term and its value in a `<dl class="facts">`. */
export function Fact({ label, class: cls, testid, children }: { label: ComponentChildren; class?: string; testid?: string; children: ComponentChildren }) {
  return (
    <div>
      <dt>{label}</dt>
      <dd class={cls} data-testid={testid}>
        {children}
      </dd>
    </div>
  );
}

// ---------------------------------------------------------------- form fields
let fieldSeq = 0;
export function useId(prefix = 'f'): string {
  const ref = useRef<string>();
  if (!ref.current) ref.current = `${prefix}-${++fieldSeq}`;
  return ref.current;
}

export function Field({ label, error, hint, children, id }: { label: string; error?: string; hint?: string; id: string; children: ComponentChildren }) {
  return (
    <div class={'field' + (error ? ' has-error' : '')}>
      <label for={id}>{label}</label>
      {children}
      {hint && !error && (
        <p class="hint" id={id + '-hint'}>
          {hint}
        </p>
      )}
      {error && (
        <p class="field-error" id={id + '-error'} role="alert">
          {error}
        </p>
      )}
    </div>
  );
}

/** aria attributes that tie an input to its hint or error */
export const describedBy = (id: string, error?: string, hint?: string) => ({
  'aria-invalid': error ? ('true' as const) : undefined,
  'aria-describedby': error ? id + '-error' : hint ? id + '-hint' : undefined,
});

export function TextInput(props: { label: string; value: string; onInput: (v: string) => void; error?: string; hint?: string; type?: string; required?: boolean; autoComplete?: string; maxLength?: number; placeholder?: string; name?: string; min?: number; max?: number; disabled?: boolean }) {
  const id = useId();
  return (
    <Field label={props.label} error={props.error} hint={props.hint} id={id}>
      <input
        id={id}
        name={props.name}
        type={props.type || 'text'}
        value={props.value}
        required={props.required}
        autoComplete={props.autoComplete}
        maxLength={props.maxLength}
        placeholder={props.placeholder}
        min={props.min}
        max={props.max}
        disabled={props.disabled}
        onInput={(e) => props.onInput((e.target as HTMLInputElement).value)}
        {...describedBy(id, props.error, props.hint)}
      />
    </Field>
  );
}

export function TextArea(props: { label: string; value: string; onInput: (v: string) => void; error?: string; hint?: string; rows?: number; maxLength?: number; name?: string; inputRef?: { current: HTMLTextAreaElement | null } }) {
  const id = useId();
  return (
    <Field label={props.label} error={props.error} hint={props.hint} id={id}>
      <textarea
        id={id}
        name={props.name}
        ref={props.inputRef}
        rows={props.rows || 4}
        value={props.value}
        maxLength={props.maxLength}
        onInput={(e) => props.onInput((e.target as HTMLTextAreaElement).value)}
        {...describedBy(id, props.error, props.hint)}
      />
    </Field>
  );
}

export function Select<V extends string>(props: { label: string; value: V; options: { value: V; label: string }[]; onChange: (v: V) => void; error?: string; hint?: string; name?: string }) {
  const id = useId();
  return (
    <Field label={props.label} error={props.error} hint={props.hint} id={id}>
      <select id={id} name={props.name} value={props.value} onChange={(e) => props.onChange((e.target as HTMLSelectElement).value as V)} {...describedBy(id, props.error, props.hint)}>
        {props.options.map((o) => (
          <option key={o.value} value={o.value}>
            {o.label}
          </option>
        ))}
      </select>
    </Field>
  );
}

/** A form sent to the API: busy while `send` runs; the server's field errors go beside their fields
 * (`errors`), the rest above the form (`general`). */
export function useSubmit() {
  const t = useT();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [general, setGeneral] = useState('');
  const [busy, setBusy] = useState(false);
  const run = async (send: () => Promise<unknown>) => {
    setBusy(true);
    setErrors({});
    setGeneral('');
    try {
      await send();
    } catch (err) {
      if (err instanceof ApiError && !isServerFault(err)) {
        const faults = err.items as Fault[];
        const fields = fieldMessages(faults, t);
        setErrors(fields);
        setGeneral(faults.filter((f) => !f.field).map((f) => reasonText(f, t)).join(' ') || (Object.keys(fields).length ? '' : errorText(err, t)));
      } else setGeneral(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const reset = () => {
    setErrors({});
    setGeneral('');
  };
  return { errors, setErrors, general, busy, run, reset };
}

// ---------------------------------------------------------------- dialog (native <dialog>: focus trap, Esc)
export function Dialog({ open, title, onClose, children, footer, wide }: { open: boolean; title: string; onClose: () => void; children: ComponentChildren; footer?: ComponentChildren; wide?: boolean }) {
  const t = useT();
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId('dlg');
  useEffect(() => {
    if (!open) return;
    // The dialog leaves the page when it closes (so the browser cannot give focus back): give it back to
    // what opened it, or, if that is gone, to the page's heading.
    const opener = document.activeElement as HTMLElement | null;
    const d = ref.current;
    if (d && !d.open) d.showModal();
    return () => {
      const back = opener && opener !== document.body && opener.isConnected ? opener : document.querySelector<HTMLElement>('main h1');
      back?.focus();
    };
  }, [open]);
  if (!open) return null;
  return (
    <dialog
      ref={ref}
      class={'dialog' + (wide ? ' dialog-wide' : '')}
      aria-labelledby={titleId}
      onCancel={(e: JSX.TargetedEvent<HTMLDialogElement>) => {
        e.preventDefault();
        onClose();
      }}
    >
      <div class="dialog-head">
        <h2 id={titleId}>{title}</h2>
        <button type="button" class="icon-btn" onClick={onClose} aria-label={t('Close')}>
          <Icon name="close" />
        </button>
      </div>
      <div class="dialog-body">{children}</div>
      {footer && <div class="dialog-foot">{footer}</div>}
    </dialog>
  );
}

// ---------------------------------------------------------------- copy
export function CopyButton({ value, label }: { value: string; label?: string }) {
  const t = useT();
  const [copied, setCopied] = useState(false);
  const copy = async () => {
    try {
      await navigator.clipboard.writeText(value);
    } catch {
      // Clipboard refused (an insecure origin, or no permission): select-and-copy fallback.
      const area = document.createElement('textarea');
      area.value = value;
      area.setAttribute('readonly', '');
      area.className = 'offscreen';
      document.body.appendChild(area);
      area.select();
      document.execCommand('copy');
      area.remove();
    }
    setCopied(true);
    setTimeout(() => setCopied(false), 1500);
  };
  return (
    <button type="button" class="btn btn-secondary btn-small" onClick={copy} aria-label={label ? `${t('Copy')} ${label}` : t('Copy')}>
      <Icon name="copy" size={16} />
      <span aria-live="polite">{copied ? t('Copied') : t('Copy')}</span>
    </button>
  );
}

// ---------------------------------------------------------------- date range (presets + custom)
export type RangePreset = 'today' | 'yesterday' | '7' | '30' | 'custom';
export interface DateRange {
  preset: RangePreset;
  from: string;
  to: string;
}
/** A preset's days, counted in `zone` (the application's time zone) when given. */
export function presetRange(preset: RangePreset, custom?: { from: string; to: string }, zone?: string): DateRange {
  const today = isoDay(new Date(), zone);
  if (preset === 'today') return { preset, from: today, to: today };
  if (preset === 'yesterday') return { preset, from: daysAgo(1, zone), to: daysAgo(1, zone) };
  if (preset === '7') return { preset, from: daysAgo(6, zone), to: today };
  if (preset === '30') return { preset, from: daysAgo(29, zone), to: today };
  return { preset, from: custom?.from || daysAgo(6, zone), to: custom?.to || today };
}

export function DateRangePicker({ value, onChange, zone }: { value: DateRange; onChange: (r: DateRange) => void; zone?: string }) {
  const t = useT();
  const [from, setFrom] = useState(value.from);
  const [to, setTo] = useState(value.to);
  useEffect(() => {
    setFrom(value.from);
    setTo(value.to);
  }, [value.from, value.to]);
  const presets: [RangePreset, string][] = [
    ['today', t('Today')],
    ['yesterday', t('Yesterday')],
    ['7', t('7 days')],
    ['30', t('30 days')],
    ['custom', t('Custom')],
  ];
  const fromId = useId('from');
  const toId = useId('to');
  return (
    <fieldset class="range">
      <legend>{t('Date range')}</legend>
      <div class="segmented">
        {presets.map(([p, label]) => (
          <button type="button" key={p} class={value.preset === p ? 'on' : ''} aria-pressed={value.preset === p} onClick={() => onChange(presetRange(p, { from, to }, zone))}>
            {label}
          </button>
        ))}
      </div>
      {value.preset === 'custom' && (
        <form
          class="range-custom"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (from && to) onChange({ preset: 'custom', from: from <= to ? from : to, to: from <= to ? to : from });
          }}
        >
          <label for={fromId}>{t('From')}</label>
          <DateField bare id={fromId} label={t('From')} value={from} max={to} onChange={setFrom} />
          <label for={toId}>{t('To')}</label>
          <DateField bare id={toId} label={t('To')} value={to} min={from} onChange={setTo} />
          <button type="submit" class="btn btn-secondary btn-small">
            {t('Apply')}
          </button>
        </form>
      )}
    </fieldset>
  );
}
