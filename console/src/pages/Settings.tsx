import { useEffect, useState } from 'preact/hooks';
import { ApiError, appPath, get, post, put } from '../api/client';
import type { IvrScriptList, IvrScript, IvrScriptRequest, RotatedSecret, Settings as SettingsData, SettingsUpdate } from '../api/types';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Alert, Card, CopyButton, Dialog, Empty, ErrorState, List, Loading, PageHeader, TextArea, TextInput, WhenLoaded, errorText, useLoad, useSubmit } from '../ui';
import { NoApplication } from './common';

const COMMON_ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'Asia/Singapore', 'Asia/Kuala_Lumpur', 'Asia/Bangkok', 'Asia/Manila', 'Asia/Tokyo', 'Australia/Sydney', 'Europe/London', 'UTC'];

export function Settings() {
  const t = useT();
  const { app } = useSession();
  if (!app) return <NoApplication title={t('Settings')} />;
  const hasIvr = app.channels.some((c) => c.channel === 'ivr');
  return (
    <>
      <PageHeader title={t('Settings')} />
      <SendingSettings key={app.application_id} applicationId={app.application_id} />
      {hasIvr ? (
        <IvrScripts key={'ivr' + app.application_id} applicationId={app.application_id} />
      ) : (
        <Card title={t('IVR scripts')}>
          <Empty message={t('This application has no IVR channel.')} />
        </Card>
      )}
    </>
  );
}

interface SettingsForm {
  sender_ids: string;
  timezone: string;
  rate_limit: string;
  callback_url: string;
}
const toForm = (s: SettingsData): SettingsForm => ({ sender_ids: s.sender_ids.join('\n'), timezone: s.timezone, rate_limit: String(s.rate_limit), callback_url: s.callback_url || '' });

function SendingSettings({ applicationId }: { applicationId: string }) {
  const t = useT();
  const loaded = useLoad((signal) => get<SettingsData>(appPath(applicationId) + '/settings', undefined, signal), [applicationId]);
  const [form, setForm] = useState<SettingsForm | null>(null);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [message, setMessage] = useState<{ kind: 'success' | 'error'; text: string } | null>(null);
  const [busy, setBusy] = useState(false);
  const [secret, setSecret] = useState<string | null>(null);
  // The form starts from the first load; a save resets it itself, in the same update as its
  // message, so nothing typed after "Settings saved." is overwritten by a late reset.
  useEffect(() => {
    if (loaded.data && !form) setForm(toForm(loaded.data));
  }, [loaded.data]);
  if (loaded.error) return <Card title={t('Sending settings')}><ErrorState error={loaded.error} onRetry={loaded.reload} /></Card>;
  if (!form || !loaded.data) return <Card title={t('Sending settings')}><Loading /></Card>;
  const saved = toForm(loaded.data);
  const set = (k: keyof SettingsForm) => (v: string) => setForm({ ...form, [k]: v });
  const save = async (e: Event) => {
    e.preventDefault();
    // Send only what changed: a deployment may keep some settings for its operator.
    const body: SettingsUpdate = {};
    const senderIds = form.sender_ids.split(/[\n,]/).map((s) => s.trim()).filter(Boolean);
    if (form.sender_ids !== saved.sender_ids) body.sender_ids = senderIds;
    if (form.timezone !== saved.timezone) body.timezone = form.timezone.trim();
    if (form.rate_limit !== saved.rate_limit) body.rate_limit = Number(form.rate_limit);
    if (form.callback_url !== saved.callback_url) body.callback_url = form.callback_url.trim() || null;
    if (!Object.keys(body).length) return setMessage({ kind: 'success', text: t('Saved') });
    setBusy(true);
    setErrors({});
    setMessage(null);
    try {
      const fresh = await put<SettingsData>(appPath(applicationId) + '/settings', body);
      // The first callback URL issues the signing secret: shown now, never again.
      if (fresh.callback_secret) setSecret(fresh.callback_secret);
      loaded.setData({ ...fresh, callback_secret: undefined });
      setForm(toForm(fresh));
      setMessage({ kind: 'success', text: t('Settings saved.') });
    } catch (err) {
      if (err instanceof ApiError) {
        setErrors(err.fieldErrors());
        setMessage({ kind: 'error', text: err.message });
      } else setMessage({ kind: 'error', text: errorText(err, t) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('Sending settings')}>
      <form class="stack narrow" onSubmit={save}>
        {message && <Alert kind={message.kind}>{message.text}</Alert>}
        <TextArea label={t('Sender IDs')} name="sender-ids" value={form.sender_ids} onInput={set('sender_ids')} error={errors.sender_ids} hint={t('One per line; what the handset shows for SMS OTP.')} rows={3} />
        <div class="field-with-list">
          <TextInput label={t('Time zone')} name="timezone" value={form.timezone} onInput={set('timezone')} error={errors.timezone} hint="IANA, e.g. Asia/Jakarta" />
          <div class="chips">
            {COMMON_ZONES.slice(0, 3).map((z) => (
              <button type="button" key={z} class={'chip chip-btn' + (form.timezone === z ? ' chip-on' : '')} onClick={() => setForm({ ...form, timezone: z })}>
                {z}
              </button>
            ))}
          </div>
        </div>
        <TextInput label={t('Rate limit (requests per second)')} name="rate-limit" type="number" min={1} max={1000} value={form.rate_limit} onInput={set('rate_limit')} error={errors.rate_limit} />
        <TextInput label={t('Callback URL')} name="callback-url" type="url" value={form.callback_url} onInput={set('callback_url')} error={errors.callback_url} placeholder="https://" hint={t('Status changes are POSTed here, signed (Standard Webhooks).')} />
        <div class="form-actions start">
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {t('Save')}
          </button>
        </div>
      </form>
      <CallbackSecret applicationId={applicationId} settings={loaded.data} onRotated={(rotated) => {
        setSecret(rotated.callback_secret);
        loaded.setData({ ...loaded.data!, callback_secret_set: true, callback_secret_created_at: rotated.created_at, previous_secret_expires_at: rotated.previous_secret_expires_at });
      }} />
      {secret && <SecretDialog secret={secret} onClose={() => setSecret(null)} />}
    </Card>
  );
}

function CallbackSecret({ applicationId, settings, onRotated }: { applicationId: string; settings: SettingsData; onRotated: (r: RotatedSecret) => void }) {
  const t = useT();
  const { lang } = useLang();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  if (!settings.callback_secret_set) return null;
  const rotate = async () => {
    setBusy(true);
    setError('');
    try {
      onRotated(await post<RotatedSecret>(appPath(applicationId) + '/settings/callback-secret', {}));
      setConfirming(false);
    } catch (err) {
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  return (
    <div class="secret-box" data-testid="callback-secret">
      <h3>{t('Callback signing secret')}</h3>
      <p class="small">
        {t('Created')}: {formatTime(settings.callback_secret_created_at, lang)}
        {settings.previous_secret_expires_at && (
          <>
            {' · '}
            {t('The previous secret also signs until {time}', { time: formatTime(settings.previous_secret_expires_at, lang) })}
          </>
        )}
      </p>
      {error && <Alert>{error}</Alert>}
      <button type="button" class="btn btn-secondary" onClick={() => setConfirming(true)} data-testid="rotate-secret">
        {t('Rotate secret')}
      </button>
      <Dialog
        open={confirming}
        title={t('Rotate the signing secret?')}
        onClose={() => setConfirming(false)}
        footer={
          <>
            <button type="button" class="btn btn-ghost" onClick={() => setConfirming(false)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-primary" onClick={rotate} disabled={busy}>
              {t('Yes, rotate')}
            </button>
          </>
        }
      >
        <p>{t('Callbacks carry both signatures for 24 hours, so your receiver can switch to the new secret without losing one.')}</p>
      </Dialog>
    </div>
  );
}

function SecretDialog({ secret, onClose }: { secret: string; onClose: () => void }) {
  const t = useT();
  return (
    <Dialog open title={t('Your callback signing secret')} onClose={onClose} footer={<button type="button" class="btn btn-primary" onClick={onClose}>{t('Done')}</button>}>
      <Alert kind="warning">{t('Copy it now: it is shown only this once.')}</Alert>
      <input class="key-box mono" readOnly value={secret} aria-label={t('Your callback signing secret')} data-testid="secret-value" onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <CopyButton value={secret} label={t('Secret')} />
      <p class="small muted">{t('Verify each callback with a Standard Webhooks library and this secret.')}</p>
    </Dialog>
  );
}

function IvrScripts({ applicationId }: { applicationId: string }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<IvrScriptList>(appPath(applicationId) + '/ivr', undefined, signal), [applicationId]);
  const [name, setName] = useState('');
  const [script, setScript] = useState('');
  const { errors, general, busy, run } = useSubmit();
  const create = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const made = await post<IvrScript>(appPath(applicationId) + '/ivr', { name: name.trim(), script } satisfies IvrScriptRequest);
      loaded.setData({ items: [made, ...(loaded.data?.items || [])] });
      setName('');
      setScript('');
    });
  };
  return (
    <Card title={t('IVR scripts')}>
      <div class="split">
        <div>
          <WhenLoaded loaded={loaded} data={loaded.data?.items}>
            {(items) => (
              <List testid="ivr-scripts" rows={items} rowKey={(s) => s.ivr_id} empty={{ message: t('No IVR scripts yet.') }}
                item={(s) => (
                  <>
                    <div class="strong">{s.ivr_name}</div>
                    <div class="muted small mono">{s.ivr_id}</div>
                    <div class="small">
                      {t('Required variables')}: {s.required_variable.length ? s.required_variable.join(', ') : '—'}
                    </div>
                    <div class="muted small">{formatTime(s.created_at, lang)}</div>
                  </>
                )}
              />
            )}
          </WhenLoaded>
        </div>
        <form class="stack" onSubmit={create}>
          {general && <Alert>{general}</Alert>}
          <TextInput label={t('Script name')} name="ivr-name" value={name} onInput={setName} error={errors.name} required maxLength={100} />
          <TextArea label={t('Script')} name="ivr-script" value={script} onInput={setScript} error={errors.script} hint={t('Write {{variable}} for a value given at call time.')} rows={4} />
          <div class="form-actions start">
            <button type="submit" class="btn btn-primary" disabled={busy}>
              {t('Create script')}
            </button>
          </div>
        </form>
      </div>
    </Card>
  );
}
