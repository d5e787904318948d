import { useEffect, useState } from 'preact/hooks';
import { ApiError, appPath, del, get, post, put } from '../api/client';
import type { EmailIdentity, EmailIdentityList, EmailIdentityRequest, IvrScriptList, IvrScript, IvrScriptRequest, RotatedSecret, Settings as SettingsData, SettingsUpdate } from '../api/types';
import { formatTime } from '../format';
import { faultsOf, fieldMessages, isServerFault } from '../errors';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Alert, Card, CopyButton, Dialog, Empty, ErrorState, List, Loading, PageHeader, Table, TextArea, TextInput, WhenLoaded, errorText, useLoad, useSubmit } from '../ui';
import { NoApplication } from './common';

const COMMON_ZONES = ['Asia/Jakarta', 'Asia/Makassar', 'Asia/Jayapura', 'Asia/Singapore', 'Asia/Kuala_Lumpur', 'Asia/Bangkok', 'Asia/Manila', 'Asia/Tokyo', 'Australia/Sydney', 'Europe/London', 'UTC'];

export function Settings() {
  const t = useT();
  const { app } = useSession();
  if (!app) return <NoApplication title={t('Settings')} />;
  const hasIvr = app.channels.some((c) => c.channel === 'ivr');
  const hasEmail = app.channels.some((c) => c.channel === 'email');
  return (
    <>
      <PageHeader title={t('Settings')} />
      <SendingSettings key={app.application_id} applicationId={app.application_id} />
      {hasEmail ? (
        <EmailSenders key={'email' + app.application_id} applicationId={app.application_id} />
      ) : (
        <Card title={t('Email senders')}>
          <Empty message={t('This application has no email channel.')} />
        </Card>
      )}
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
  const { refreshApps } = useSession();
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
      // Every page counts its days in the application's zone: they read it from the application list.
      if (body.timezone) refreshApps().catch(() => undefined);
      setMessage({ kind: 'success', text: t('Settings saved.') });
    } catch (err) {
      setErrors(isServerFault(err) ? {} : fieldMessages(faultsOf(err), t));
      setMessage({ kind: 'error', text: errorText(err, t) });
    } finally {
      setBusy(false);
    }
  };
  return (
    <Card title={t('Sending settings')}>
      <form class="stack narrow" onSubmit={save} noValidate>
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

const SENDER_POLL_MS = 10000; // the API asks the email service again at most every 10 s
const MAX_SENDERS = 20;
const identityPath = (applicationId: string, identity: string) => `${appPath(applicationId)}/email-identities/${encodeURIComponent(identity)}`;

/** An email sender error in the reader's language: never the API's field path or the provider's code. */
function senderError(err: unknown, count: number, t: (s: string) => string): string {
  if (!(err instanceof ApiError)) return errorText(err, t);
  if (err.status === 409) return t('This address or domain belongs to another application, or to the operator of this deployment.');
  if (err.status === 406) return count >= MAX_SENDERS ? t('An application has at most 20 email senders.') : t('Enter an email address (name@example.com) or a domain (example.com).');
  if (err.status === 404) return t('This sender is no longer in the application.');
  if (err.status === 503) return t('The email service did not answer. Try again in a moment.');
  return errorText(err, t);
}

function SenderStatus({ status }: { status: EmailIdentity['status'] }) {
  const t = useT();
  const [kind, label] = status === 'verified' ? ['success', t('Verified')] : status === 'failed' ? ['failed', t('Failed')] : ['pending', t('Waiting for verification')];
  return <span class={`badge badge-${kind}`}>{label}</span>;
}

function EmailSenders({ applicationId }: { applicationId: string }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<EmailIdentityList>(appPath(applicationId) + '/email-identities', undefined, signal), [applicationId]);
  const [identity, setIdentity] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const [removing, setRemoving] = useState<EmailIdentity | null>(null);
  const items = loaded.data?.items;
  const anyPending = Boolean(items?.some((i) => i.status === 'pending'));
  // Poll while one waits: the owner clicks SES's link or publishes the records elsewhere.
  useEffect(() => {
    if (!anyPending) return;
    const timer = setTimeout(() => loaded.reload(), SENDER_POLL_MS);
    return () => clearTimeout(timer);
  }, [items, loaded.error, anyPending]); // a failed poll is followed by the next
  const replace = (one: EmailIdentity) => loaded.setData({ items: [...(items || []).filter((i) => i.identity !== one.identity), one].sort((a, b) => a.identity.localeCompare(b.identity)) });
  const run = async (work: () => Promise<void>) => {
    setBusy(true);
    setError('');
    try {
      await work();
    } catch (err) {
      setError(senderError(err, items?.length || 0, t));
    } finally {
      setBusy(false);
    }
  };
  const add = (e: Event) => {
    e.preventDefault();
    if (!identity.trim()) return setError(t('Enter an email address (name@example.com) or a domain (example.com).'));
    run(async () => {
      replace(await post<EmailIdentity>(appPath(applicationId) + '/email-identities', { identity: identity.trim() } satisfies EmailIdentityRequest));
      setIdentity('');
    });
  };
  const checkAgain = (one: EmailIdentity) => run(async () => replace(await get<EmailIdentity>(identityPath(applicationId, one.identity))));
  const remove = (one: EmailIdentity) =>
    run(async () => {
      await del(identityPath(applicationId, one.identity));
      loaded.setData({ items: (items || []).filter((i) => i.identity !== one.identity) });
      setRemoving(null);
    });
  return (
    <Card title={t('Email senders')}>
      <p class="muted small">{t('Email and Verify codes go out only from these addresses and domains, once verified. A verified domain covers every address at it.')}</p>
      {error && <Alert>{error}</Alert>}
      <WhenLoaded loaded={loaded} data={items} keepOnError>
        {(rows) => (
          <List testid="email-senders" rows={rows} rowKey={(i) => i.identity} rowAttrs={(i) => ({ 'data-identity': i.identity, 'data-status': i.status })}
            empty={{ icon: 'inbox', message: t('No email senders yet. Add an address or a domain to send email.') }}
            item={(i) => (
              <div class="stack sender">
                <div class="sender-head">
                  <span class="strong mono wrap-any">{i.identity}</span>
                  <span class="muted small">{i.kind === 'domain' ? t('Domain') : t('Address')}</span>
                  <SenderStatus status={i.status} />
                  <span class="sender-actions">
                    {i.status === 'pending' && (
                      <button type="button" class="btn btn-ghost btn-small" onClick={() => checkAgain(i)} disabled={busy}>
                        {t('Check again')}
                      </button>
                    )}
                    <button type="button" class="btn btn-ghost btn-small" onClick={() => setRemoving(i)} aria-label={t('Remove {identity}', { identity: i.identity })}>
                      {t('Remove')}
                    </button>
                  </span>
                </div>
                <p class="small">
                  {i.status === 'verified'
                    ? i.kind === 'domain'
                      ? t('Verified on {time}. Every address at this domain can send.', { time: formatTime(i.verified_at, lang) })
                      : t('Verified on {time}.', { time: formatTime(i.verified_at, lang) })
                    : i.status === 'failed'
                      ? t('Verification failed. Remove it and add it again to start over.')
                      : i.kind === 'domain'
                        ? t('Publish these DNS records at your domain. Verification follows once they are found (up to 72 hours).')
                        : t('Open the link in the verification email sent to this address.')}
                </p>
                {i.kind === 'domain' && i.dns_records.length > 0 && (
                  <DnsRecords identity={i.identity} records={i.dns_records} open={i.status !== 'verified'} />
                )}
              </div>
            )}
          />
        )}
      </WhenLoaded>
      <form class="inline-form" onSubmit={add} noValidate>
        <TextInput label={t('Address or domain')} name="email-sender" value={identity} onInput={setIdentity} placeholder="toko.co.id" maxLength={254} />
        <button type="submit" class="btn btn-primary" disabled={busy}>
          {t('Add sender')}
        </button>
      </form>
      <Dialog
        open={removing !== null}
        title={t('Remove {identity}?', { identity: removing?.identity || '' })}
        onClose={() => setRemoving(null)}
        footer={
          <>
            <button type="button" class="btn btn-ghost" onClick={() => setRemoving(null)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-primary" onClick={() => removing && remove(removing)} disabled={busy}>
              {t('Yes, Remove')}
            </button>
          </>
        }
      >
        <p>{t('Email from it is refused at once, and another application may add it.')}</p>
      </Dialog>
    </Card>
  );
}

function DnsRecords({ identity, records, open }: { identity: string; records: EmailIdentity['dns_records']; open: boolean }) {
  const t = useT();
  return (
    <details class="dns-records" open={open}>
      <summary>{t('DNS records for {domain}', { domain: identity })}</summary>
      <Table testid="dns-records" label={t('DNS records for {domain}', { domain: identity })} rowKey={(r) => r.name} rows={records} compact
        columns={[
          { label: t('Type'), class: 'nowrap', cell: (r) => r.type },
          { label: t('Name'), cell: (r) => <CopyCell text={r.name} label={`${t('Name')} ${r.name}`} /> },
          { label: t('Value'), cell: (r) => <CopyCell text={r.value} label={`${t('Value')} ${r.name}`} /> },
        ]}
      />
    </details>
  );
}

function CopyCell({ text, label }: { text: string; label: string }) {
  return (
    <div class="copy-cell">
      <span class="mono wrap-any">{text}</span>
      <CopyButton value={text} label={label} />
    </div>
  );
}

function IvrScripts({ applicationId }: { applicationId: string }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<IvrScriptList>(appPath(applicationId) + '/ivr', undefined, signal), [applicationId]);
  const [name, setName] = useState('');
  const [script, setScript] = useState('');
  const { errors, setErrors, general, busy, run } = useSubmit();
  const create = (e: Event) => {
    e.preventDefault();
    const missing = { ...(name.trim() ? {} : { name: t('Fill this in.') }), ...(script.trim() ? {} : { script: t('Fill this in.') }) };
    if (Object.keys(missing).length) return setErrors(missing);
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
        <form class="stack" onSubmit={create} noValidate>
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
