// The signed-in account's sign-in security: two-factor sign-in with an authenticator app (TOTP) and
// recovery codes. The secret and the codes are shown once, in this page's state only.
import { useState } from 'preact/hooks';
import { get, post } from '../api/client';
import type { components } from '../api/openapi';
import { useT } from '../i18n';
import { useSession } from '../state';
import { Alert, Card, CopyButton, PageHeader, TextInput, WhenLoaded, useLoad, useSubmit } from '../ui';

type Status = components['schemas']['TwoFactorStatus'];
type Setup = components['schemas']['TwoFactorSetup'];
type RecoveryCodes = components['schemas']['RecoveryCodes'];

const grouped = (secret: string) => secret.replace(/(.{4})/g, '$1 ').trim();

export function Account() {
  const t = useT();
  const { me } = useSession();
  const loaded = useLoad((signal) => get<Status>('/auth/two-factor', undefined, signal), []);
  const [setup, setSetup] = useState<Setup | null>(null);
  const [codes, setCodes] = useState<string[] | null>(null);
  const [code, setCode] = useState('');
  const [done, setDone] = useState('');
  const { errors, general, busy, run, reset } = useSubmit();

  const start = () => run(async () => {
    setDone('');
    setCodes(null);
    setSetup(await post<Setup>('/auth/two-factor/setup'));
  });
  const confirm = (e: Event) => {
    e.preventDefault();
    run(async () => {
      const answer = await post<RecoveryCodes>('/auth/two-factor/enable', { code: code.trim() });
      setSetup(null);
      setCode('');
      setCodes(answer.recovery_codes);
      loaded.reload();
    });
  };
  const turnOff = (e: Event) => {
    e.preventDefault();
    run(async () => {
      await post('/auth/two-factor/disable', { code: code.trim() });
      setCode('');
      setCodes(null);
      setDone(t('Two-factor sign-in is off.'));
      loaded.reload();
    });
  };
  const codeInput = (
    <TextInput label={t('Code')} name="code" value={code} onInput={(v) => (setCode(v), reset())} error={errors.code && t(errors.code)}
      hint={t('The 6-digit code your authenticator app shows now')} autoComplete="one-time-code" maxLength={32} />
  );

  return (
    <>
      <PageHeader title={t('Sign-in security')} />
      <p class="muted">{me.email}</p>
      {general && <Alert>{t(general)}</Alert>}
      {done && <Alert kind="success">{done}</Alert>}
      <Card title={t('Two-factor sign-in')}>
        <WhenLoaded loaded={loaded} data={loaded.data}>
          {(status) => (
            <div class="stack" data-testid="two-factor" data-enabled={String(status.enabled)}>
              {codes && (
                <div class="stack" data-testid="recovery-codes">
                  <Alert kind="warning">{t('Two-factor sign-in is on. Keep these recovery codes somewhere safe: each works once, if your phone is lost. They are shown only now.')}</Alert>
                  <ul class="recovery-codes mono">
                    {codes.map((c) => <li key={c}>{c}</li>)}
                  </ul>
                  <div class="form-actions start">
                    <CopyButton value={codes.join('\n')} label={t('Recovery codes')} />
                  </div>
                </div>
              )}
              {!status.enabled && !setup && (
                <>
                  <p>{t('Besides your password, signing in will ask for a code from an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, Authy...).')}</p>
                  <div>
                    <button type="button" class="btn btn-primary" onClick={start} disabled={busy} data-testid="two-factor-start">{t('Turn on two-factor sign-in')}</button>
                  </div>
                </>
              )}
              {!status.enabled && setup && (
                <form class="stack" onSubmit={confirm} noValidate>
                  <p>{t('1. In your authenticator app, add an account and scan this QR code.')}</p>
                  <img class="totp-qr" src={setup.qr_svg} width={200} height={200} alt={t('QR code of your two-factor key')} data-testid="totp-qr" />
                  <p>{t('Cannot scan? Type this key instead (or, on this phone, open the link).')}</p>
                  <label class="sr-only" for="totp-secret">{t('Key')}</label>
                  <input id="totp-secret" class="key-box mono" readOnly value={grouped(setup.secret)} data-testid="totp-secret" data-secret={setup.secret} />
                  <div class="form-actions start">
                    <CopyButton value={setup.secret} label={t('Key')} />
                    <a class="btn btn-secondary btn-small" href={setup.otpauth_uri} data-testid="otpauth-link">{t('Open in authenticator app')}</a>
                  </div>
                  <p>{t('2. Type the code the app shows, to confirm.')}</p>
                  {codeInput}
                  <div>
                    <button type="submit" class="btn btn-primary" disabled={busy} data-testid="two-factor-confirm">{t('Confirm and turn on')}</button>
                  </div>
                </form>
              )}
              {status.enabled && (
                <form class="stack" onSubmit={turnOff} noValidate>
                  <p>{t('Two-factor sign-in is on. Recovery codes left: {n}.', { n: status.recovery_codes_left })}</p>
                  {codeInput}
                  <div>
                    <button type="submit" class="btn btn-secondary" disabled={busy} data-testid="two-factor-off">{t('Turn off two-factor sign-in')}</button>
                  </div>
                  <p class="muted small">{t('A recovery code works here too.')}</p>
                </form>
              )}
            </div>
          )}
        </WhenLoaded>
      </Card>
    </>
  );
}
