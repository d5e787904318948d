// The one place that talks HTTP. Same origin, the session is the HttpOnly cookie, and every request
// carries X-Kirim-Console: 1 (the API's CSRF defence for cookie sessions).
import type { ApiErrorBody, ApiErrorItem } from './types';

export class ApiError extends Error {
  status: number;
  items: ApiErrorItem[];
  /** Seconds to wait before trying again, when the answer said (Retry-After on a 429 or a 503). */
  retryAfter?: number;
  constructor(status: number, items: ApiErrorItem[], retryAfter?: number) {
    super(items.map((i) => messageText(i)).join('; ') || `HTTP ${status}`);
    this.status = status;
    this.items = items;
    this.retryAfter = retryAfter;
  }
  /** field path (e.g. "body.text", "buttons[3].text") -> message */
  fieldErrors(): Record<string, string> {
    const out: Record<string, string> = {};
    for (const item of this.items) if (item.field) out[item.field] = messageText(item);
    return out;
  }
  /** The messages that name no field (shown at the top of a form). */
  generalMessages(): string[] {
    return this.items.filter((i) => !i.field).map((i) => messageText(i));
  }
}

export function messageText(item: ApiErrorItem): string {
  if (typeof item.message === 'string') return item.message;
  if (Array.isArray(item.message)) return item.message.map((m) => m.msg || String(m.value ?? '')).join('; ');
  return 'Something went wrong';
}

type Listener = () => void;
const unauthorizedListeners: Listener[] = [];
/** Called when a signed-in request answers 401: the session ended. Returns the way to stop listening. */
export function onUnauthorized(listener: Listener): () => void {
  unauthorizedListeners.push(listener);
  return () => {
    const at = unauthorizedListeners.indexOf(listener);
    if (at >= 0) unauthorizedListeners.splice(at, 1);
  };
}

export interface RequestOptions {
  query?: Record<string, string | number | undefined | null>;
  body?: unknown;
  signal?: AbortSignal;
  /** a 401 here is the answer itself (sign in), not an ended session */
  anonymous?: boolean;
}

export async function api<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
  let url = path;
  if (options.query) {
    const params = new URLSearchParams();
    for (const [k, v] of Object.entries(options.query)) if (v !== undefined && v !== null && v !== '') params.set(k, String(v));
    const qs = params.toString();
    if (qs) url += '?' + qs;
  }
  const headers: Record<string, string> = { 'X-Kirim-Console': '1', Accept: 'application/json' };
  let body: string | undefined;
  if (options.body !== undefined) {
    headers['Content-Type'] = 'application/json';
    body = JSON.stringify(options.body);
  }
  let response: Response;
  try {
    response = await fetch(url, { method, headers, body, credentials: 'same-origin', signal: options.signal });
  } catch (error) {
    if ((error as Error).name === 'AbortError') throw error;
    throw new ApiError(0, [{ message: 'network', code: 0, reason: 'network' }]);
  }
  if (response.status === 204) return undefined as T;
  let data: unknown = null;
  const text = await response.text();
  if (text) {
    try {
      data = JSON.parse(text);
    } catch {
      data = null;
    }
  }
  if (!response.ok) {
    const items = (data as ApiErrorBody | null)?.errors;
    const wait = Number(response.headers.get('Retry-After'));
    const error = new ApiError(response.status, Array.isArray(items) && items.length ? items : [{ message: `HTTP ${response.status}`, code: response.status, reason: response.status === 404 ? 'not_found' : 'http' }], wait > 0 ? wait : undefined);
    if (response.status === 401 && !options.anonymous) [...unauthorizedListeners].forEach((l) => l());
    throw error;
  }
  return data as T;
}

export const get = <T>(path: string, query?: RequestOptions['query'], signal?: AbortSignal) => api<T>('GET', path, { query, signal });
export const post = <T>(path: string, body?: unknown) => api<T>('POST', path, { body });
export const put = <T>(path: string, body?: unknown) => api<T>('PUT', path, { body });
export const patch = <T>(path: string, body?: unknown) => api<T>('PATCH', path, { body });
export const del = <T>(path: string) => api<T>('DELETE', path);

export const appPath = (applicationId: string) => `/applications/${encodeURIComponent(applicationId)}`;
