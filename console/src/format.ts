// Dates and numbers as the user reads them.
import type { Lang } from './i18n';

const locale = (lang: Lang) => (lang === 'id' ? 'id-ID' : 'en-GB');

export function formatTime(iso: string | undefined | null, lang: Lang): string {
  if (!iso) return '—';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  return d.toLocaleString(locale(lang), { year: 'numeric', month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}
export function formatDate(isoDate: string, lang: Lang): string {
  const d = new Date(isoDate.length === 10 ? isoDate + 'T00:00:00' : isoDate);
  if (Number.isNaN(d.getTime())) return isoDate;
  return d.toLocaleDateString(locale(lang), { month: 'short', day: 'numeric' });
}
export const formatNumber = (n: number, lang: Lang) => n.toLocaleString(locale(lang));
export const formatPercent = (rate: number, lang: Lang) =>
  (rate * 100).toLocaleString(locale(lang), { maximumFractionDigits: 2 }) + '%';

/** yyyy-mm-dd of a Date in the browser's zone */
export function isoDay(d: Date): string {
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}`;
}
export function daysAgo(n: number): string {
  const d = new Date();
  d.setDate(d.getDate() - n);
  return isoDay(d);
}
