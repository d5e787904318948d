// The first-run checklist on Overview: five steps from an account to a working integration, each a
// link to its page, each ticked from what the dashboard API already answers. Gone once all are done.
import { appPath, get } from '../api/client';
import type { Settings, TemplateList } from '../api/types';
import { useT } from '../i18n';
import { useSession } from '../state';
import { Card, Icon, useLoad } from '../ui';

interface Progress {
  sent: boolean;
  template: boolean;
  callback: boolean;
}

// A step once done stays done for the page's life, so a later visit asks only about the steps still
// open: with the Overview's own call, a page switch stays within 3 API calls (bench/console.py).
const doneFor = new Map<string, Progress>();

/** `sent`: whether the Overview's figures show a message (its own answer: no call of ours). */
export function FirstSteps({ sent: sentNow }: { sent?: boolean }) {
  const t = useT();
  const { apps, app } = useSession();
  const id = app?.application_id;
  const loaded = useLoad<Progress>(
    id
      ? async (signal) => {
          const known = doneFor.get(id) || { sent: false, template: false, callback: false };
          const hasWhatsApp = app.channels.some((c) => c.channel === 'whatsapp');
          const [templates, settings] = await Promise.all([
            known.template || !hasWhatsApp ? null : get<TemplateList>(appPath(id) + '/whatsapp/templates', undefined, signal).catch(() => null),
            known.callback ? null : get<Settings>(appPath(id) + '/settings', undefined, signal).catch(() => null),
          ]);
          const progress = {
            sent: known.sent,
            template: known.template || Boolean(templates?.items.some((tpl) => tpl.status !== 'DRAFT')),
            callback: known.callback || Boolean(settings?.callback_url),
          };
          doneFor.set(id, progress);
          return progress;
        }
      : null,
    [id],
  );
  const known = id ? doneFor.get(id) : undefined;
  if (known && sentNow) known.sent = true; // remembered for the next visit, whatever its range shows
  const p = loaded.data;
  const appHref = id ? `#/applications/${encodeURIComponent(id)}` : '#/applications?create=1';
  const steps: { label: string; href: string; done: boolean; key: string }[] = [
    { key: 'app', label: t('Create your application'), href: '#/applications?create=1', done: Boolean(apps?.length) },
    { key: 'key', label: t('Get a key'), href: appHref, done: Boolean(app?.channels.some((c) => c.token)) },
    { key: 'test', label: t('Send a test message'), href: appHref, done: Boolean(p?.sent || sentNow || known?.sent) },
    { key: 'template', label: t('Submit a WhatsApp template'), href: '#/templates/new', done: Boolean(p?.template) },
    { key: 'callback', label: t('Set a callback URL'), href: '#/settings', done: Boolean(p?.callback) },
  ];
  // Hidden while loading (no flash of a list that is already done) and once everything is done.
  if ((id && !p) || steps.every((s) => s.done)) return null;
  const done = steps.filter((s) => s.done).length;
  return (
    <Card title={t('First steps')} actions={<span class="muted small">{t('{n} of {total} done', { n: done, total: steps.length })}</span>}>
      <ol class="checklist" data-testid="first-steps">
        {steps.map((s) => (
          <li key={s.key} class={s.done ? 'done' : ''} data-step={s.key} data-done={s.done ? 'true' : 'false'}>
            <span class="check-mark" aria-hidden="true">
              {s.done && <Icon name="check" size={16} />}
            </span>
            <a href={s.href}>{s.label}</a>
            <span class="sr-only">{s.done ? t('Done') : t('Not done yet')}</span>
          </li>
        ))}
      </ol>
    </Card>
  );
}
