// The first-run checklist on Overview: five steps from an account to a working integration, each a
// link to its page, each ticked from what the dashboard API already answers. Gone once all are done.
import { appPath, get } from '../api/client';
import type { MessagePage, Settings, TemplateList } from '../api/types';
import { useT } from '../i18n';
import { useSession } from '../state';
import { Card, Icon, useLoad } from '../ui';

interface Progress {
  sent: boolean;
  template: boolean;
  callback: boolean;
}

export function FirstSteps() {
  const t = useT();
  const { apps, app } = useSession();
  const id = app?.application_id;
  const loaded = useLoad<Progress>(
    id
      ? async (signal) => {
          const [messages, templates, settings] = await Promise.all([
            get<MessagePage>(appPath(id) + '/messages', { limit: 1 }, signal).catch(() => null),
            app.channels.some((c) => c.channel === 'whatsapp') ? get<TemplateList>(appPath(id) + '/whatsapp/templates', undefined, signal).catch(() => null) : null,
            get<Settings>(appPath(id) + '/settings', undefined, signal).catch(() => null),
          ]);
          return {
            sent: Boolean(messages?.items.length),
            template: Boolean(templates?.items.some((tpl) => tpl.status !== 'DRAFT')),
            callback: Boolean(settings?.callback_url),
          };
        }
      : null,
    [id],
  );
  const p = loaded.data;
  const appHref = id ? `#/applications/${encodeURIComponent(id)}` : '#/applications?create=1';
  const steps: { label: string; href: string; done: boolean; key: string }[] = [
    { key: 'app', label: t('Create your application'), href: '#/applications?create=1', done: Boolean(apps?.length) },
    { key: 'key', label: t('Get a key'), href: appHref, done: Boolean(app?.channels.some((c) => c.token)) },
    { key: 'test', label: t('Send a test message'), href: appHref, done: Boolean(p?.sent) },
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
