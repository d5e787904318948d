import { useEffect, useState } from 'preact/hooks';
import { appPath, del, get, post } from '../api/client';
import type { Application, ApplicationRequest, Channel, GeneratedToken } from '../api/types';
import { CHANNEL_LABEL, CHANNELS } from '../channels';
import { formatNumber, formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { navigate, type Route } from '../router';
import { KeyUsage } from './KeyUsage';
import { TestSend } from './TestSend';
import { useSession } from '../state';
import { ApplicationAdmin } from './ApplicationAdmin';
import { Alert, Card, CopyButton, Dialog, ErrorState, Fact, Icon, Loading, PageHeader, Select, StatusBadge, Table, TextInput, WhenLoaded, errorText, useLoad, useSubmit } from '../ui';

export function Applications({ route }: { route: Route }) {
  const id = route.path[1];
  return id ? <AppDetails applicationId={id} /> : <AppList openCreate={route.query.get('create') === '1'} />;
}

function AppList({ openCreate }: { openCreate: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const session = useSession();
  const loaded = useLoad((_signal) => session.refreshApps(), []);
  const [creating, setCreating] = useState(openCreate);
  useEffect(() => setCreating(openCreate), [openCreate]);
  return (
    <>
      <PageHeader title={t('My Application')}>
        <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
          <Icon name="plus" size={18} />
          {t('Create application')}
        </button>
      </PageHeader>
      <Card>
        <WhenLoaded loaded={loaded} data={loaded.data}>
          {(apps) => (
            <Table testid="applications" label={t('Applications')} rows={apps} rowKey={(a) => a.application_id}
              empty={{ icon: 'apps', message: t('You have no application yet.'), action: { label: t('Create an application'), onClick: () => setCreating(true) } }}
              columns={[
                {
                  label: t('Application Name'),
                  cell: (a) => (
                    <>
                      <a href={`#/applications/${a.application_id}`} class="strong">
                        {a.name}
                      </a>
                      <div class="muted mono small">{a.application_id}</div>
                    </>
                  ),
                },
                {
                  label: t('Channels'),
                  cell: (a) => (
                    <div class="chips">
                      {a.channels.map((c) => (
                        <span key={c.channel} class={'chip ' + (c.status === 'Active' ? 'chip-on' : '')}>
                          {CHANNEL_LABEL[c.channel]}
                        </span>
                      ))}
                    </div>
                  ),
                },
                { label: t('Created'), cell: (a) => formatTime(a.created_at, lang) },
                {
                  label: t('Details'),
                  action: true,
                  cell: (a) => (
                    <a class="btn btn-secondary btn-small" href={`#/applications/${a.application_id}`} aria-label={`${t('Details App')}: ${a.name}`}>
                      {t('Details App')}
                    </a>
                  ),
                },
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      <CreateAppDialog
        open={creating}
        onClose={() => {
          setCreating(false);
          if (openCreate) navigate('/applications');
        }}
        onCreated={(app) => {
          setCreating(false);
          // The selector keeps the application in use; the first one becomes it.
          if (!session.app) session.selectApp(app.application_id);
          session.refreshApps().catch(() => undefined);
          navigate('/applications/' + app.application_id);
        }}
      />
    </>
  );
}

function CreateAppDialog({ open, onClose, onCreated }: { open: boolean; onClose: () => void; onCreated: (a: Application) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [channels, setChannels] = useState<Channel[]>([...CHANNELS]);
  const { errors, setErrors, general, busy, run, reset } = useSubmit();
  useEffect(() => {
    if (open) {
      setName('');
      setChannels([...CHANNELS]);
      reset();
    }
  }, [open]);
  const submit = (e: Event) => {
    e.preventDefault();
    // The console's own words, in the page's language, never the browser's bubble (the form is noValidate).
    if (!name.trim()) return setErrors({ name: t('Fill this in.') });
    if (!channels.length) return setErrors({ channels: t('Choose at least one channel.') });
    run(async () => onCreated(await post<Application>('/applications', { name: name.trim(), channels } satisfies ApplicationRequest)));
  };
  return (
    <Dialog open={open} title={t('Create application')} onClose={onClose}>
      <form onSubmit={submit} class="stack" noValidate>
        {general && <Alert>{general}</Alert>}
        <TextInput label={t('Application Name')} name="name" value={name} onInput={setName} error={errors.name} required maxLength={100} />
        <fieldset class={'checks' + (errors.channels ? ' has-error' : '')}>
          <legend>{t('Channels')}</legend>
          {CHANNELS.map((c) => (
            <label key={c} class="check">
              <input type="checkbox" name="channels" value={c} checked={channels.includes(c)} onChange={(e) => setChannels((e.target as HTMLInputElement).checked ? CHANNELS.filter((x) => x === c || channels.includes(x)) : channels.filter((x) => x !== c))} />
              {CHANNEL_LABEL[c]}
            </label>
          ))}
          {errors.channels && (
            <p class="field-error" role="alert">
              {errors.channels}
            </p>
          )}
        </fieldset>
        <div class="form-actions">
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            {t('Cancel')}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {t('Create')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}

type KeyStep = { kind: 'confirm'; channel: Channel } | { kind: 'shown'; token: GeneratedToken } | { kind: 'revoke'; channel: Channel } | { kind: 'usage'; channel: Channel } | null;

function AppDetails({ applicationId }: { applicationId: string }) {
  const t = useT();
  const { lang } = useLang();
  const session = useSession();
  const loaded = useLoad((signal) => get<Application>(appPath(applicationId), undefined, signal), [applicationId]);
  const [channel, setChannel] = useState<Channel | ''>('');
  const [step, setStep] = useState<KeyStep>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState('');
  const app = loaded.data;
  useEffect(() => {
    if (app) session.updateApp(app);
  }, [app]);

  if (loaded.error) {
    return (
      <>
        <PageHeader title={t('Details App')} />
        <ErrorState error={loaded.error} onRetry={loaded.reload} />
        <p>
          <a href="#/applications">{t('Back to applications')}</a>
        </p>
      </>
    );
  }
  if (!app) return <Loading />;

  const label = (c: Channel) => CHANNEL_LABEL[c];
  const generate = async (c: Channel) => {
    setBusy(true);
    setError('');
    try {
      const token = await post<GeneratedToken>(`${appPath(app.application_id)}/channels/${c}/token`);
      setStep({ kind: 'shown', token });
    } catch (err) {
      setStep(null);
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const revoke = async (c: Channel) => {
    setBusy(true);
    setError('');
    try {
      await del(`${appPath(app.application_id)}/channels/${c}/token`);
      setStep(null);
      loaded.reload();
    } catch (err) {
      setStep(null);
      setError(errorText(err, t));
    } finally {
      setBusy(false);
    }
  };
  const closeShown = () => {
    // The key leaves memory with the dialog: it can never be shown again.
    setStep(null);
    loaded.reload();
  };

  return (
    <>
      <p class="crumb">
        <a href="#/applications">← {t('Back to applications')}</a>
      </p>
      <PageHeader title={t('Details App')} />
      {error && <Alert>{error}</Alert>}
      <Card>
        <dl class="facts">
          <Fact label={t('Application Name')} class="strong" testid="app-name">
            {app.name}
          </Fact>
          <Fact label={t('Application ID')} class="with-action">
            <code data-testid="app-id">{app.application_id}</code>
            <CopyButton value={app.application_id} label={t('Application ID')} />
          </Fact>
          <Fact label={t('Created')}>{formatTime(app.created_at, lang)}</Fact>
        </dl>
      </Card>
      <Card title={t('Generate Key')}>
        <form
          class="inline-form"
          noValidate
          onSubmit={(e) => {
            e.preventDefault();
            if (channel) setStep({ kind: 'confirm', channel });
          }}
        >
          <Select label={t('Select channel')} name="key-channel" value={channel} options={[{ value: '' as const, label: '—' }, ...app.channels.map((c) => ({ value: c.channel, label: label(c.channel) }))]} onChange={setChannel} />
          <button type="submit" class="btn btn-primary" disabled={!channel}>
            <Icon name="key" size={18} />
            {t('Generate Key')}
          </button>
        </form>
      </Card>
      <TestSend app={app} />
      <Card title={t('Channels')}>
        <Table testid="channels" label={t('Channels')} rows={app.channels} rowKey={(c) => c.channel} rowAttrs={(c) => ({ 'data-channel': c.channel })}
          columns={[
            { label: t('Channel'), class: 'strong', cell: (c) => label(c.channel) },
            { label: t('Status'), cell: (c) => <StatusBadge status={c.status} label={t(c.status)} /> },
            { label: t('Remaining quota'), cell: (c) => formatNumber(c.quota_remaining, lang) },
            {
              label: t('Key'),
              cell: (c) =>
                c.token ? (
                  <span>
                    <code>{c.token.prefix}…</code>
                    <span class="muted small block">
                      {t('Created')} {formatTime(c.token.issued_at, lang)}
                    </span>
                    <span class="muted small block" data-testid="last-used">
                      {c.token.last_used_at ? `${t('Last used')} ${formatTime(c.token.last_used_at, lang)}` : t('Not used yet')}
                    </span>
                  </span>
                ) : (
                  <span class="muted">{t('No key')}</span>
                ),
            },
            {
              label: t('Revoke'),
              action: true,
              cell: (c) => (
                <div class="row-actions">
                  <button type="button" class="btn btn-secondary btn-small" onClick={() => setStep({ kind: 'usage', channel: c.channel })} aria-label={`${t('How to use')} ${label(c.channel)}`} data-testid="how-to-use">
                    {t('How to use')}
                  </button>
                  {c.token && (
                  <button type="button" class="btn btn-danger-ghost btn-small" onClick={() => setStep({ kind: 'revoke', channel: c.channel })} aria-label={`${t('Revoke')} ${label(c.channel)}`}>
                    {t('Revoke')}
                  </button>
                  )}
                </div>
              ),
            },
          ]}
        />
      </Card>
      {app.role === 'owner' && <ApplicationAdmin app={app} onRenamed={loaded.setData} />}

      <Dialog
        open={step?.kind === 'confirm'}
        title={step?.kind === 'confirm' ? t('Generate a new {channel} key?', { channel: label(step.channel) }) : ''}
        onClose={() => setStep(null)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setStep(null)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-primary" disabled={busy} onClick={() => step?.kind === 'confirm' && generate(step.channel)}>
              {t('Yes, Generate Key')}
            </button>
          </>
        }
      >
        {step?.kind === 'confirm' && app.channels.find((c) => c.channel === step.channel)?.token ? (
          <Alert kind="warning">{t('The current key stops working at once. Every system that uses it must switch to the new key.')}</Alert>
        ) : (
          <Alert kind="info">{t('The key is shown only once: have a safe place ready to keep it.')}</Alert>
        )}
      </Dialog>

      <Dialog
        open={step?.kind === 'revoke'}
        title={t('Revoke key?')}
        onClose={() => setStep(null)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setStep(null)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-danger" disabled={busy} onClick={() => step?.kind === 'revoke' && revoke(step.channel)}>
              {t('Yes, Revoke')}
            </button>
          </>
        }
      >
        <p>{step?.kind === 'revoke' ? t('The {channel} key stops working at once and the channel becomes Inactive.', { channel: label(step.channel) }) : ''}</p>
      </Dialog>

      <Dialog open={step?.kind === 'usage'} wide title={step?.kind === 'usage' ? t('How to use the {channel} key', { channel: label(step.channel) }) : ''} onClose={() => setStep(null)}>
        {step?.kind === 'usage' && <KeyUsage channel={step.channel} applicationId={app.application_id} />}
      </Dialog>

      {step?.kind === 'shown' && <ShownKey token={step.token} appName={app.name} applicationId={app.application_id} onClose={closeShown} />}
    </>
  );
}

function ShownKey({ token, appName, applicationId, onClose }: { token: GeneratedToken; appName: string; applicationId: string; onClose: () => void }) {
  const t = useT();
  // Esc and × ask first: the key can never be shown again.
  const [asking, setAsking] = useState(false);
  const channel = CHANNEL_LABEL[token.channel];
  const download = () => {
    const blob = new Blob([token.token + '\n'], { type: 'text/plain' });
    const url = URL.createObjectURL(blob);
    const a = document.createElement('a');
    a.href = url;
    a.download = `kirim-${appName.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-${token.channel}-key.txt`;
    document.body.appendChild(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 1000);
  };
  return (
    <Dialog
      open
      wide
      title={t('Your new {channel} key', { channel })}
      onClose={() => setAsking(true)}
      footer={
        asking ? (
          <div class="ask-saved" role="alertdialog" aria-labelledby="ask-saved" data-testid="ask-saved">
            <strong id="ask-saved">{t('Did you save it?')}</strong>
            <span class="small">{t('Once closed, this key can never be shown again.')}</span>
            <div class="form-actions">
              <button type="button" class="btn btn-secondary" onClick={() => setAsking(false)} autoFocus>
                {t('Back to the key')}
              </button>
              <button type="button" class="btn btn-primary" onClick={onClose}>
                {t('Yes, close')}
              </button>
            </div>
          </div>
        ) : (
          <button type="button" class="btn btn-primary" onClick={onClose}>
            {t("I've saved it")}
          </button>
        )
      }
    >
      <Alert kind="warning">{t('Copy it now: it is shown only this once and can never be shown again.')}</Alert>
      <label class="sr-only" for="new-key">
        {t('Key')}
      </label>
      <input id="new-key" class="key-box mono" readOnly value={token.token} data-testid="new-key" onFocus={(e) => (e.target as HTMLInputElement).select()} />
      <div class="form-actions start">
        <CopyButton value={token.token} label={t('Key')} />
        <button type="button" class="btn btn-secondary btn-small" onClick={download}>
          <Icon name="download" size={16} />
          {t('Download .txt')}
        </button>
      </div>
      <KeyUsage channel={token.channel} applicationId={applicationId} />
    </Dialog>
  );
}
