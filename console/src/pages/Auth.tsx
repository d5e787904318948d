import { useEffect, useState } from 'preact/hooks';
import { ApiError, api } from '../api/client';
import type { LoginAnswer, LoginRequest, Me, RegisterRequest } from '../api/types';
import { useT } from '../i18n';
import { navigate } from '../router';
import { type Fault, fieldMessages } from '../errors';
import { Alert, TextInput, useSubmit } from '../ui';

// The server's rules (accounts.service), checked here first so most mistakes need no round trip.
const PASSWORD_MIN = 10;
const PASSWORD_MAX = 256;
const EMAIL = /^[^\s@]+@[^\s@]+\.[^\s@]+$/;
import { Brand, LangSwitch } from '../Layout';

export function AuthPage({ mode, notice, onSignedIn }: { mode: 'login' | 'register'; notice?: string; onSignedIn: (me: Me) => void }) {
  const t = useT();
  const [email, setEmail] = useState('');
  const [password, setPassword] = useState('');
  const [name, setName] = useState('');
  const [info, setInfo] = useState(notice || '');
  // Two-factor sign-in: the API answers 401 naming `code` until the app's code (or a recovery code) comes too.
  const [code, setCode] = useState('');
  const [askCode, setAskCode] = useState(false);
  const { errors, setErrors, general, busy, run } = useSubmit();
  // The code field appears after the password was right: the cursor goes there.
  useEffect(() => {
    if (askCode) document.querySelector<HTMLInputElement>('input[name=code]')?.focus();
  }, [askCode]);
  const register = mode === 'register';

  const submit = (e: Event) => {
    e.preventDefault();
    const faults: Fault[] = [];
    if (register && !name.trim()) faults.push({ field: 'name', reason: 'required' });
    if (!email.trim()) faults.push({ field: 'email', reason: 'required' });
    else if (!EMAIL.test(email.trim())) faults.push({ field: 'email', reason: 'email_invalid' });
    if (!password) faults.push({ field: 'password', reason: 'required' });
    else if (register && (password.length < PASSWORD_MIN || password.length > PASSWORD_MAX)) faults.push({ field: 'password', reason: 'password_length', params: { min: PASSWORD_MIN, max: PASSWORD_MAX } });
    if (faults.length) {
      setErrors(fieldMessages(faults, t));
      document.querySelector<HTMLElement>(`[name="${faults[0].field}"]`)?.focus();
      return;
    }
    run(async () => {
      if (register) {
        await api('POST', '/auth/register', { body: { email: email.trim(), password, name: name.trim() } satisfies RegisterRequest, anonymous: true });
      }
      try {
        await api<LoginAnswer>('POST', '/auth/login', { body: { email: email.trim(), password, ...(askCode && code.trim() ? { code: code.trim() } : {}) } satisfies LoginRequest, anonymous: true });
      } catch (err) {
        if (err instanceof ApiError && err.status === 401 && err.fieldErrors().code) {
          setAskCode(true);
          if (!code.trim()) return setErrors({});   // the first ask is no mistake
          return setErrors({ code: err.fieldErrors().code });
        }
        throw err;
      }
      const me = await api<Me>('GET', '/auth/me', { anonymous: true });
      setInfo('');
      onSignedIn(me);
    });
  };

  return (
    <div class="auth">
      <div class="auth-card card">
        <div class="auth-head">
          <Brand />
          <LangSwitch />
        </div>
        <h1>{register ? t('Create an account') : t('Sign in')}</h1>
        <p class="muted">{t('Omnichannel messaging console')}</p>
        {info && <Alert kind="info">{info}</Alert>}
        {general && <Alert>{general}</Alert>}
        <form class="stack" onSubmit={submit} noValidate>
          {register && <TextInput label={t('Full name')} name="name" value={name} onInput={setName} error={errors.name} autoComplete="name" required maxLength={100} />}
          <TextInput label={t('Email')} name="email" type="email" value={email} onInput={setEmail} error={errors.email} autoComplete="email" required />
          <TextInput label={t('Password')} name="password" type="password" value={password} onInput={setPassword} error={errors.password} autoComplete={register ? 'new-password' : 'current-password'} hint={register ? t('At least 10 characters') : undefined} required />
          {askCode && <TextInput label={t('Code from your authenticator app')} name="code" value={code} onInput={setCode} error={errors.code && t(errors.code)} hint={t('Or one of your recovery codes')} autoComplete="one-time-code" maxLength={32} />}
          <button type="submit" class="btn btn-primary btn-block" disabled={busy}>
            {register ? t('Register') : t('Sign in')}
          </button>
        </form>
        <p class="auth-switch">
          {register ? t('Already have an account?') : t('No account yet?')}{' '}
          <button type="button" class="link" onClick={() => navigate(register ? '/login' : '/register')}>
            {register ? t('Sign in') : t('Register')}
          </button>
        </p>
      </div>
    </div>
  );
}
