// Dates and numbers as the user reads them.
import type { Lang } from './i18n';

const locale = (lang: Lang) => (lang === 'id' ? 'id-ID' : 'en-GB');

/** A time as the reader reads it; with `zone` (the application's), in that zone, not the browser's. */
export function formatTime(iso: string | undefined | null, lang: Lang, zone?: string): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale(lang), { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit', timeZone: zone });
}
export function formatDate(isoDate: string, lang: Lang): string {
  const d = new Date(isoDate.length === 10 ? isoDate + 'T00:00:00' : isoDate);
  if (Number.isNaN(d.getTime())) return isoDate;
  return d.toLocaleDateString(locale(lang), { month: 'short', day: 'numeric' });
}
export const formatNumber = (n: number, lang: Lang) => n.toLocaleString(locale(lang));
export const formatPercent = (rate: number, lang: Lang) =>
  (rate * 100).toLocaleString(locale(lang), { maximumFractionDigits: 2 }) + '%';

/** yyyy-mm-dd of a Date in `zone` (the application's: a UTC laptop must see Jakarta's day), else the browser's */
export function isoDay(d: Date, zone?: string): string {
  if (zone) {
    try {
      return new Intl.DateTimeFormat('en-CA', { timeZone: zone, year: 'numeric', month: '2-digit', day: '2-digit' }).format(d);
    } catch {
      /* a zone this browser does not know: its own */
    }
  }
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
/** The day n days before today in `zone` (calendar days: counted on the date, not in 24-hour steps) */
export function daysAgo(n: number, zone?: string): string {
  const d = new Date(isoDay(new Date(), zone) + 'T12:00:00Z');
  d.setUTCDate(d.getUTCDate() - n);
  return d.toISOString().slice(0, 10);
}
