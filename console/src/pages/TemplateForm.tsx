// Add Template: step 1 (name, language, category), step 2 (the content) beside a phone preview that
// the server renders from the form as typed (POST .../preview saves nothing).
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { api, appPath, get, onUnauthorized, patch, post } from '../api/client';
import type { ButtonType, HeaderFormat, OtpType, Preview, PreviewRequest, Template, TemplateButton, TemplateCategory, TemplateForm, TemplateLanguage } from '../api/types';
import { type Fault, faultsOf, fieldMessages, isServerFault, rejectionText, summaryLine } from '../errors';
import { useLang, useT } from '../i18n';
import { navigate } from '../router';
import { Alert, Card, ErrorState, Fact, Icon, Loading, PageHeader, Select, StatusBadge, TextArea, TextInput, errorText, useId, useLoad } from '../ui';
import { languageOptions } from '../languages';

const MAX_BUTTONS = 10;
// A template in progress when the session ends is kept in this tab (sessionStorage) until the owner signs in again.
const KEPT_KEY = 'kirim.console.template-in-progress';
// Meta's rules, also checked here so most mistakes need no round trip (the server checks them all again).
const EXPIRY_MIN = 1;
const EXPIRY_MAX = 90;
const TERMS_URL = 'https://www.whatsapp.com/legal/business-policy';
const PREVIEW_DEBOUNCE_MS = 150;

/** A button as the form holds it: always of a type (a draft's untyped button shows as a quick reply). */
type ButtonDraft = TemplateButton & { type: ButtonType };

interface Form {
  name: string;
  language: TemplateLanguage;
  category: TemplateCategory;
  headerFormat: '' | HeaderFormat;
  headerText: string;
  headerExample: string;
  headerMedia: string;
  bodyText: string;
  bodyExamples: string[];
  footerText: string;
  buttons: ButtonDraft[];
  authSecurity: boolean;
  authExpiry: string;
  authOtpType: OtpType;
  authButtonText: string;
  authPackage: string;
  authSignature: string;
  acceptTerms: boolean;
}

const EMPTY: Form = {
  name: '',
  language: 'id',
  category: 'UTILITY',
  headerFormat: '',
  headerText: '',
  headerExample: '',
  headerMedia: '',
  bodyText: '',
  bodyExamples: [],
  footerText: '',
  buttons: [],
  authSecurity: true,
  authExpiry: '10',
  authOtpType: 'COPY_CODE',
  authButtonText: '',
  authPackage: '',
  authSignature: '',
  acceptTerms: false,
};

function fromTemplate(tpl: Template): Form {
  const auth = tpl.authentication || {};
  return {
    ...EMPTY,
    name: tpl.name,
    language: tpl.language,
    category: tpl.category || 'UTILITY',
    headerFormat: tpl.header?.format || '',
    headerText: tpl.header?.text || '',
    headerExample: tpl.header?.example || '',
    headerMedia: tpl.header?.media_url || '',
    bodyText: tpl.body?.text || '',
    bodyExamples: tpl.body?.examples || [],
    footerText: tpl.footer?.text || '',
    buttons: (tpl.buttons || []).map((b) => ({ ...b, type: b.type || 'QUICK_REPLY' })),
    authSecurity: auth.add_security_recommendation ?? true,
    authExpiry: auth.code_expiration_minutes !== undefined ? String(auth.code_expiration_minutes) : '',
    authOtpType: auth.otp_type || 'COPY_CODE',
    authButtonText: auth.button_text || '',
    authPackage: auth.package_name || '',
    authSignature: auth.signature_hash || '',
  };
}

/** The variable numbers a text uses, e.g. "Hi {{1}} {{2}}" -> [1, 2]. */
export function variables(text: string): number[] {
  const found = new Set<number>();
  for (const m of text.matchAll(/\{\{\s*(\d+)\s*\}\}/g)) found.add(Number(m[1]));
  return [...found].sort((a, b) => a - b);
}

/** The form as the API's template JSON (create, edit and preview take the same shape). */
export function toInput(f: Form): TemplateForm {
  const input: TemplateForm = { name: f.name.trim(), language: f.language, category: f.category };
  if (f.category === 'AUTHENTICATION') {
    const minutes = f.authExpiry.trim() === '' ? undefined : Number(f.authExpiry);
    input.header = null;
    input.body = null;
    input.footer = null;
    input.buttons = null;
    input.authentication = {
      add_security_recommendation: f.authSecurity,
      otp_type: f.authOtpType,
      ...(minutes !== undefined && Number.isInteger(minutes) ? { code_expiration_minutes: minutes } : {}),
      ...(f.authButtonText.trim() ? { button_text: f.authButtonText.trim() } : {}),
      ...(f.authOtpType === 'ONE_TAP' ? { package_name: f.authPackage.trim(), signature_hash: f.authSignature.trim() } : {}),
    };
    return input;
  }
  input.authentication = null;
  if (!f.headerFormat) input.header = null;
  else if (f.headerFormat === 'TEXT') input.header = { format: 'TEXT', text: f.headerText, ...(variables(f.headerText).length ? { example: f.headerExample } : {}) };
  else if (f.headerFormat === 'LOCATION') input.header = { format: 'LOCATION' };
  else input.header = { format: f.headerFormat, media_url: f.headerMedia.trim() };
  const count = Math.max(0, ...variables(f.bodyText));
  input.body = f.bodyText ? { text: f.bodyText, examples: Array.from({ length: count }, (_, i) => f.bodyExamples[i] || '') } : null;
  input.footer = f.footerText ? { text: f.footerText } : null;
  input.buttons = f.buttons.length
    ? f.buttons.map((b) => {
        if (b.type === 'QUICK_REPLY') return { type: b.type, text: b.text || '' };
        if (b.type === 'URL') return { type: b.type, text: b.text || '', url: b.url || '', ...(variables(b.url || '').length ? { example: b.example || '' } : {}) };
        if (b.type === 'PHONE_NUMBER') return { type: b.type, text: b.text || '', phone_number: b.phone_number || '' };
        return { type: b.type, example: b.example || '' };
      })
    : null;
  return input;
}

/** What the owner types as a name, as Meta takes it: "Promo Lebaran 2026" -> "promo_lebaran_2026". */
export function templateName(typed: string): string {
  return typed
    .trim()
    .toLowerCase()
    .replace(/[\s-]+/g, '_')
    .replace(/[^a-z0-9_]/g, '');
}

const isHttps = (value: string) => /^https:\/\/[^\s/?#]+\.[^\s/?#]+/i.test(value.trim());

/** The server's rules the console can check itself, as the API's faults (same fields, same reasons). */
export function localFaults(f: Form, submit: boolean): Fault[] {
  const out: Fault[] = [];
  if (!f.name.trim()) out.push({ field: 'name', reason: 'required' });
  if (!submit) return out;
  if (f.category === 'AUTHENTICATION') {
    const raw = f.authExpiry.trim();
    const minutes = Number(raw);
    if (raw && (!/^\d+$/.test(raw) || minutes < EXPIRY_MIN || minutes > EXPIRY_MAX)) out.push({ field: 'authentication.code_expiration_minutes', reason: 'out_of_range', params: { min: EXPIRY_MIN, max: EXPIRY_MAX } });
    return out;
  }
  if ((f.headerFormat === 'IMAGE' || f.headerFormat === 'VIDEO' || f.headerFormat === 'DOCUMENT') && f.headerMedia.trim() && !isHttps(f.headerMedia)) out.push({ field: 'header.media_url', reason: 'https_required' });
  if (!f.bodyText.trim()) out.push({ field: 'body.text', reason: 'required' });
  f.buttons.forEach((b, i) => {
    if (b.type !== 'COPY_CODE' && !(b.text || '').trim()) out.push({ field: `buttons[${i}].text`, reason: 'required' });
    if (b.type === 'URL') {
      const url = (b.url || '').trim();
      if (!url) out.push({ field: `buttons[${i}].url`, reason: 'required' });
      else if (!isHttps(url.replace(/\{\{\s*1\s*\}\}$/, 'x'))) out.push({ field: `buttons[${i}].url`, reason: 'https_required' });
    }
  });
  return out;
}

/** Moves to the first field in error (in page order): scrolled into view and focused. */
function focusFirstError(): void {
  const target = document.querySelector<HTMLElement>('main [aria-invalid="true"], main .has-error input, main .field-error');
  if (!target) return;
  if (target.classList.contains('field-error')) target.tabIndex = -1;
  target.scrollIntoView({ block: 'center' });
  target.focus({ preventScroll: true });
}

export function TemplateEditor({ applicationId, templateId, maskingName }: { applicationId: string; templateId: string | null; maskingName: string }) {
  const t = useT();
  const base = appPath(applicationId) + '/whatsapp/templates';
  const loaded = useLoad<Template | null>(templateId ? (signal) => get<Template>(`${base}/${templateId}`, undefined, signal) : null, [templateId]);
  if (templateId && loaded.error) {
    return (
      <>
        <PageHeader title={t('WhatsApp Template')} />
        <ErrorState error={loaded.error} onRetry={loaded.reload} />
      </>
    );
  }
  if (templateId && !loaded.data) return <Loading />;
  const tpl = loaded.data || null;
  if (tpl && tpl.status !== 'DRAFT' && tpl.status !== 'REJECTED') return <TemplateView base={base} tpl={tpl} maskingName={maskingName} />;
  return <EditorForm base={base} tpl={tpl} maskingName={maskingName} />;
}

function TemplateView({ base, tpl, maskingName }: { base: string; tpl: Template; maskingName: string }) {
  const t = useT();
  const preview = useLoad((signal) => get<Preview>(`${base}/${tpl.template_id}/preview`, { masking_name: maskingName.slice(0, 50) }, signal), [tpl.template_id]);
  return (
    <>
      <p class="crumb">
        <a href="#/templates">← {t('WhatsApp Template')}</a>
      </p>
      <PageHeader title={tpl.name}>
        <StatusBadge status={tpl.status} label={t(tpl.status)} />
      </PageHeader>
      <div class="editor">
        <Card>
          <dl class="facts">
            <Fact label="Template code ID" class="with-action">
              <code>{tpl.template_code_id}</code>
            </Fact>
            <Fact label={t('Category')}>{tpl.category}</Fact>
            <Fact label={t('Language')}>{tpl.language}</Fact>
          </dl>
        </Card>
        <PhonePreview preview={preview.data || null} error={preview.error} loading={preview.loading} buttons={tpl.buttons || []} />
      </div>
    </>
  );
}

function EditorForm({ base, tpl, maskingName }: { base: string; tpl: Template | null; maskingName: string }) {
  const t = useT();
  const { lang } = useLang();
  // What was typed when the session ended, if it was this template: restored once, then forgotten.
  const [kept] = useState(() => {
    try {
      const saved = JSON.parse(sessionStorage.getItem(KEPT_KEY) || 'null');
      if (saved && saved.templateId === (tpl?.template_id || null)) {
        sessionStorage.removeItem(KEPT_KEY);
        return saved as { form: Form; typedName: string; step: 1 | 2 };
      }
    } catch {
      /* nothing kept, or unreadable: start from the template */
    }
    return null;
  });
  const [form, setForm] = useState<Form>(() => kept?.form || (tpl ? fromTemplate(tpl) : EMPTY));
  const [typedName, setTypedName] = useState(() => kept?.typedName ?? tpl?.name ?? '');
  const [step, setStep] = useState<1 | 2>(kept?.step || (tpl ? 2 : 1));
  const [templateId, setTemplateId] = useState<string | null>(tpl?.template_id || null);
  const [faults, setFaults] = useState<Fault[]>([]);
  const [serverError, setServerError] = useState('');
  const [focusTick, setFocusTick] = useState(0);
  const [busy, setBusy] = useState(false);
  const set = <K extends keyof Form>(key: K, value: Form[K]) => setForm((f) => ({ ...f, [key]: value }));
  const errors = useMemo(() => fieldMessages(faults, t), [faults, t]);
  // After a failed submit: the first field at fault, or the server's or network's failure said at the top
  // (Submit may be far below it), comes into view.
  const serverRef = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!focusTick) return;
    if (serverRef.current) serverRef.current.scrollIntoView({ block: 'center' });
    else focusFirstError();
  }, [focusTick]);
  // The session ended: keep what was typed in this tab, so signing in again brings it back.
  useEffect(
    () =>
      onUnauthorized(() => {
        try {
          sessionStorage.setItem(KEPT_KEY, JSON.stringify({ templateId: tpl?.template_id || null, form, typedName, step }));
        } catch {
          /* storage full or off: nothing to keep */
        }
      }),
    [form, typedName, step],
  );
  const showFaults = (found: Fault[]) => {
    setServerError('');
    setFaults(found);
    if (found.some((f) => f.field === 'name' || f.field === 'language' || f.field === 'category')) setStep(1);
    setFocusTick((n) => n + 1);
  };
  const input = useMemo(() => toInput(form), [form]);

  // ------------------------------------------------------------ live preview (debounced, newest wins)
  const [preview, setPreview] = useState<Preview | null>(null);
  const [previewError, setPreviewError] = useState<unknown>(null);
  const [previewBusy, setPreviewBusy] = useState(false);
  const previewBody = JSON.stringify({ ...input, masking_name: maskingName.slice(0, 50) } satisfies PreviewRequest);
  useEffect(() => {
    if (step !== 2) return;
    const controller = new AbortController();
    setPreviewBusy(true);
    const timer = setTimeout(() => {
      api<Preview>('POST', base + '/preview', { body: JSON.parse(previewBody), signal: controller.signal }).then(
        (p) => {
          setPreview(p);
          setPreviewError(null);
          setPreviewBusy(false);
        },
        (err) => {
          if (controller.signal.aborted) return;
          setPreviewError(err);
          setPreviewBusy(false);
        },
      );
    }, PREVIEW_DEBOUNCE_MS);
    return () => {
      clearTimeout(timer);
      controller.abort();
    };
  }, [previewBody, step]);

  const fail = (err: unknown) => {
    if (isServerFault(err) || faultsOf(err).every((f) => !f.field)) {
      // Nothing in the form is at fault: say what happened, and keep the fields as they are.
      setFaults([]);
      setServerError(errorText(err, t));
      setFocusTick((n) => n + 1);
    } else showFaults(faultsOf(err));
  };

  const save = async (submit: boolean) => {
    const local = localFaults(form, submit);
    if (local.length) return showFaults(local);
    setBusy(true);
    setFaults([]);
    setServerError('');
    try {
      const body: TemplateForm = { ...input, ...(submit ? { accept_terms: true, submit: true } : { submit: false }) };
      let saved: Template;
      if (templateId) saved = await patch<Template>(`${base}/${templateId}`, body);
      else {
        // A draft needs no empty parts: send only what is there.
        const create = Object.fromEntries(Object.entries(body).filter(([, v]) => v !== null));
        saved = await post<Template>(base, create);
      }
      setTemplateId(saved.template_id);
      setFaults([]);
      navigate(`/templates?notice=${encodeURIComponent(submit ? 'Template submitted for review.' : 'Template saved as a draft.')}`);
    } catch (err) {
      fail(err);
    } finally {
      setBusy(false);
    }
  };

  const err = (...paths: string[]) => paths.map((p) => errors[p]).find(Boolean);
  const isAuth = form.category === 'AUTHENTICATION';

  return (
    <>
      <p class="crumb">
        <a href="#/templates">← {t('WhatsApp Template')}</a>
      </p>
      <PageHeader title={tpl ? `${t('Edit')}: ${tpl.name}` : t('Add Template')}>{tpl && <StatusBadge status={tpl.status} label={t(tpl.status)} />}</PageHeader>
      {tpl?.rejection_reason && (
        <Alert kind="warning">
          {t('Rejection reason')}: {rejectionText(tpl.rejection_reason, t)}
        </Alert>
      )}
      {serverError && (
        <div ref={serverRef} data-testid="server-error">
          <Alert>{serverError}</Alert>
        </div>
      )}
      {faults.length > 0 && (
        <Alert>
          <strong>{t('Please fix the highlighted fields.')}</strong>
          <ul class="error-list" data-testid="error-summary">
            {faults.map((f, i) => (
              <li key={i}>{summaryLine(f, t)}</li>
            ))}
          </ul>
        </Alert>
      )}
      <ol class="steps" aria-label={t('Steps')}>
        <li class={step === 1 ? 'on' : ''} aria-current={step === 1 ? 'step' : undefined}>
          1. {t('Template Name')}, {t('Language')}, {t('Category')}
        </li>
        <li class={step === 2 ? 'on' : ''} aria-current={step === 2 ? 'step' : undefined}>
          2. {t('Body')}
        </li>
      </ol>
      {step === 1 ? (
        <Card>
          <form
            class="stack narrow"
            noValidate
            onSubmit={(e) => {
              e.preventDefault();
              const local = localFaults(form, false);
              if (local.length) return showFaults(local);
              setFaults([]);
              setStep(2);
            }}
          >
            <TextInput
              label={t('Template Name')}
              name="template-name"
              value={typedName}
              onInput={(v) => {
                setTypedName(v);
                set('name', templateName(v));
              }}
              error={err('name')}
              hint={t('Lowercase letters a-z, digits and _')}
              maxLength={512}
              required
            />
            {form.name && form.name !== typedName && (
              <p class="hint" data-testid="name-as-saved" aria-live="polite">
                {t('Saved as')} <code>{form.name}</code>
              </p>
            )}
            <Select label={t('Language')} name="template-language" value={form.language} options={languageOptions(lang)} onChange={(v) => set('language', v)} error={err('language')} />
            <fieldset class={'radios' + (err('category') ? ' has-error' : '')}>
              <legend>{t('Category')}</legend>
              {(['MARKETING', 'UTILITY', 'AUTHENTICATION'] as TemplateCategory[]).map((c) => (
                <label key={c} class="radio-card">
                  <input type="radio" name="category" value={c} checked={form.category === c} onChange={() => set('category', c)} />
                  <span>{t(c === 'MARKETING' ? 'Marketing' : c === 'UTILITY' ? 'Utility' : 'Authentication')}</span>
                </label>
              ))}
              {err('category') && <p class="field-error">{err('category')}</p>}
            </fieldset>
            <div class="form-actions">
              <a class="btn btn-secondary" href="#/templates">
                {t('Cancel')}
              </a>
              <button type="submit" class="btn btn-primary">
                {t('Continue')}
              </button>
            </div>
          </form>
        </Card>
      ) : (
        <div class="editor">
          <Card>
            <form
              class="stack"
              noValidate
              onSubmit={(e) => {
                e.preventDefault();
                save(true);
              }}
            >
              <p class="muted">
                <strong>{form.name}</strong> · {form.language} · {t(form.category === 'MARKETING' ? 'Marketing' : form.category === 'UTILITY' ? 'Utility' : 'Authentication')}{' '}
                <button type="button" class="link" onClick={() => setStep(1)}>
                  {t('Edit')}
                </button>
              </p>
              {isAuth ? <AuthFields form={form} set={set} err={err} /> : <MessageFields form={form} set={set} err={err} />}
              <label class={'check terms' + (err('accept_terms') ? ' has-error' : '')}>
                <input type="checkbox" name="accept-terms" checked={form.acceptTerms} onChange={(e) => set('acceptTerms', (e.target as HTMLInputElement).checked)} />
                <span>
                  {t('I accept the')}{' '}
                  <a href={`${TERMS_URL}?lang=${lang}`} target="_blank" rel="noopener noreferrer" data-testid="terms-link">
                    {t('Terms of Use')}
                  </a>
                </span>
              </label>
              {err('accept_terms') && <p class="field-error">{err('accept_terms')}</p>}
              <div class="form-actions">
                <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => save(false)}>
                  {t('Save as Draft')}
                </button>
                <button type="submit" class="btn btn-primary" disabled={busy || !form.acceptTerms}>
                  {t('Submit')}
                </button>
              </div>
            </form>
          </Card>
          <PhonePreview preview={preview} error={previewError} loading={previewBusy} buttons={isAuth ? [] : form.buttons} />
        </div>
      )}
    </>
  );
}

type SetField = <K extends keyof Form>(key: K, value: Form[K]) => void;
type ErrFn = (...paths: string[]) => string | undefined;

function MessageFields({ form, set, err }: { form: Form; set: SetField; err: ErrFn }) {
  const t = useT();
  const bodyRef = useRef<HTMLTextAreaElement>(null);
  const bodyVars = variables(form.bodyText);
  const count = Math.max(0, ...bodyVars);
  const addVariable = () => {
    const next = `{{${count + 1}}}`;
    const area = bodyRef.current;
    if (area && document.activeElement === area) {
      const { selectionStart: s, selectionEnd: e } = area;
      set('bodyText', form.bodyText.slice(0, s) + next + form.bodyText.slice(e));
    } else set('bodyText', form.bodyText + (form.bodyText && !form.bodyText.endsWith(' ') ? ' ' : '') + next);
  };
  const setButton = (i: number, patchValue: Partial<ButtonDraft>) => set('buttons', form.buttons.map((b, j) => (j === i ? { ...b, ...patchValue } : b)));
  const headerFormats: { value: '' | HeaderFormat; label: string }[] = [
    { value: '', label: t('None') },
    { value: 'TEXT', label: t('Text') },
    { value: 'IMAGE', label: t('Image') },
    { value: 'VIDEO', label: t('Video') },
    { value: 'DOCUMENT', label: t('Document') },
    { value: 'LOCATION', label: t('Location') },
  ];
  const buttonTypes: { value: ButtonType; label: string }[] = [
    { value: 'QUICK_REPLY', label: t('Quick reply') },
    { value: 'URL', label: t('Visit website') },
    { value: 'PHONE_NUMBER', label: t('Call phone number') },
    ...(form.category === 'MARKETING' ? [{ value: 'COPY_CODE' as ButtonType, label: t('Copy offer code') }] : []),
  ];
  return (
    <>
      <fieldset class="group">
        <legend>{t('Header')}</legend>
        <Select label={t('Header')} name="header-format" value={form.headerFormat} options={headerFormats} onChange={(v) => set('headerFormat', v)} error={err('header.format', 'header')} />
        {form.headerFormat === 'TEXT' && (
          <>
            <TextInput label={t('Header text')} name="header-text" value={form.headerText} onInput={(v) => set('headerText', v)} error={err('header.text')} maxLength={60} hint="≤ 60, {{1}}" />
            {variables(form.headerText).length > 0 && <TextInput label={t('Example for {{1}}')} name="header-example" value={form.headerExample} onInput={(v) => set('headerExample', v)} error={err('header.example')} />}
          </>
        )}
        {(form.headerFormat === 'IMAGE' || form.headerFormat === 'VIDEO' || form.headerFormat === 'DOCUMENT') && (
          <TextInput label={t('Example media URL (https)')} name="header-media" type="url" value={form.headerMedia} onInput={(v) => set('headerMedia', v)} error={err('header.media_url')} placeholder="https://" />
        )}
      </fieldset>
      <fieldset class="group">
        <legend>{t('Body')}</legend>
        <TextArea label={t('Body')} name="body-text" value={form.bodyText} onInput={(v) => set('bodyText', v)} error={err('body.text', 'body')} maxLength={1024} rows={5} inputRef={bodyRef} hint={`${form.bodyText.length}/1024`} />
        <div>
          <button type="button" class="btn btn-secondary btn-small" onClick={addVariable}>
            <Icon name="plus" size={16} />
            {t('Add variable')}
          </button>
        </div>
        {count > 0 && (
          <div class="examples">
            {Array.from({ length: count }, (_, i) => (
              <TextInput
                key={i}
                label={t('Example for {v}', { v: `{{${i + 1}}}` })}
                name={`body-example-${i + 1}`}
                value={form.bodyExamples[i] || ''}
                onInput={(v) => {
                  const next = [...form.bodyExamples];
                  while (next.length < count) next.push('');
                  next[i] = v;
                  set('bodyExamples', next);
                }}
                error={err(`body.examples[${i}]`) || (i === 0 ? err('body.examples') : undefined)}
              />
            ))}
          </div>
        )}
      </fieldset>
      <fieldset class="group">
        <legend>{t('Footer')}</legend>
        <TextInput label={t('Footer')} name="footer-text" value={form.footerText} onInput={(v) => set('footerText', v)} error={err('footer.text', 'footer')} maxLength={60} />
      </fieldset>
      <fieldset class="group">
        <legend>{t('Buttons')}</legend>
        <p class="hint">{t('Up to 10 buttons.')}</p>
        {err('buttons') && (
          <p class="field-error" role="alert">
            {err('buttons')}
          </p>
        )}
        {form.buttons.map((b, i) => (
          <div class="button-row" key={i} data-testid={`button-${i}`}>
            <Select label={t('Button {n}', { n: i + 1 })} name={`button-${i}-type`} value={b.type} options={buttonTypes} onChange={(v) => setButton(i, { type: v })} error={err(`buttons[${i}].type`)} />
            {b.type !== 'COPY_CODE' && <TextInput label={t('Button text')} name={`button-${i}-text`} value={b.text || ''} onInput={(v) => setButton(i, { text: v })} error={err(`buttons[${i}].text`)} maxLength={25} />}
            {b.type === 'URL' && (
              <>
                <TextInput label={t('Website URL')} name={`button-${i}-url`} value={b.url || ''} onInput={(v) => setButton(i, { url: v })} error={err(`buttons[${i}].url`)} placeholder="https://" />
                {variables(b.url || '').length > 0 && <TextInput label={t('Example URL')} name={`button-${i}-example`} value={b.example || ''} onInput={(v) => setButton(i, { example: v })} error={err(`buttons[${i}].example`)} />}
              </>
            )}
            {b.type === 'PHONE_NUMBER' && <TextInput label={t('Phone number')} name={`button-${i}-phone`} type="tel" value={b.phone_number || ''} onInput={(v) => setButton(i, { phone_number: v })} error={err(`buttons[${i}].phone_number`)} />}
            {b.type === 'COPY_CODE' && <TextInput label={t('Offer code')} name={`button-${i}-example`} value={b.example || ''} onInput={(v) => setButton(i, { example: v })} error={err(`buttons[${i}].example`)} />}
            <button type="button" class="btn btn-danger-ghost btn-small" aria-label={t('Remove button {n}', { n: i + 1 })} onClick={() => set('buttons', form.buttons.filter((_, j) => j !== i))}>
              {t('Remove')}
            </button>
          </div>
        ))}
        <div>
          <button type="button" class="btn btn-secondary btn-small" disabled={form.buttons.length >= MAX_BUTTONS} onClick={() => set('buttons', [...form.buttons, { type: 'QUICK_REPLY', text: '' }])}>
            <Icon name="plus" size={16} />
            {t('Add button')}
          </button>
        </div>
      </fieldset>
    </>
  );
}

function AuthFields({ form, set, err }: { form: Form; set: SetField; err: ErrFn }) {
  const t = useT();
  const otpId = useId('otp');
  return (
    <fieldset class="group">
      <legend>{t('Authentication')}</legend>
      <Alert kind="info">{t('Meta sets the body of an authentication template: "{{1}} is your verification code."')}</Alert>
      {err('authentication') && <p class="field-error">{err('authentication')}</p>}
      <label class="check">
        <input type="checkbox" name="auth-security" checked={form.authSecurity} onChange={(e) => set('authSecurity', (e.target as HTMLInputElement).checked)} />
        {t('Add security recommendation')}
      </label>
      <TextInput label={t('Code expires after (minutes)')} name="auth-expiry" type="number" min={EXPIRY_MIN} max={EXPIRY_MAX} value={form.authExpiry} onInput={(v) => set('authExpiry', v)} error={err('authentication.code_expiration_minutes')} hint="1–90" />
      <fieldset class="radios" aria-describedby={err('authentication.otp_type') ? otpId : undefined}>
        <legend>{t('Code delivery')}</legend>
        <label class="radio-card">
          <input type="radio" name="otp-type" checked={form.authOtpType === 'COPY_CODE'} onChange={() => set('authOtpType', 'COPY_CODE')} />
          <span>{t('Copy code')}</span>
        </label>
        <label class="radio-card">
          <input type="radio" name="otp-type" checked={form.authOtpType === 'ONE_TAP'} onChange={() => set('authOtpType', 'ONE_TAP')} />
          <span>{t('One-tap autofill')}</span>
        </label>
        {err('authentication.otp_type') && (
          <p class="field-error" id={otpId}>
            {err('authentication.otp_type')}
          </p>
        )}
      </fieldset>
      <TextInput label={t('Button text')} name="auth-button-text" value={form.authButtonText} onInput={(v) => set('authButtonText', v)} error={err('authentication.button_text')} maxLength={25} />
      {form.authOtpType === 'ONE_TAP' && (
        <>
          <TextInput label={t('Package name')} name="auth-package" value={form.authPackage} onInput={(v) => set('authPackage', v)} error={err('authentication.package_name')} placeholder="com.example.app" />
          <TextInput label={t('App signature hash')} name="auth-signature" value={form.authSignature} onInput={(v) => set('authSignature', v)} error={err('authentication.signature_hash')} maxLength={11} />
        </>
      )}
    </fieldset>
  );
}

const MEDIA_ICON: Record<string, string> = { IMAGE: 'image', VIDEO: 'video', DOCUMENT: 'doc', LOCATION: 'pin' };
const BUTTON_ICON: Record<string, string> = { URL: 'link', PHONE_NUMBER: 'phone', QUICK_REPLY: 'reply', COPY_CODE: 'copy', ONE_TAP: 'copy' };

type ShownButton = { type?: string | null; text?: string | null };

/** The file name at the end of a media URL ("https://x.id/katalog%20lebaran.pdf" -> "katalog lebaran.pdf"). */
export function fileName(url: string | null | undefined): string {
  try {
    const parsed = new URL(url || '');
    const last = parsed.pathname.split('/').filter(Boolean).pop() || parsed.hostname;
    return decodeURIComponent(last);
  } catch {
    return '';
  }
}

/** A media header as WhatsApp shows it: the image itself, a video frame, or the document's name. */
function MediaHeader({ format, url }: { format: string; url: string }) {
  const t = useT();
  const [broken, setBroken] = useState('');
  const name = fileName(url);
  // Only an https URL is loaded (the Content-Security-Policy allows https: images and nothing else outside).
  if (format === 'IMAGE' && url.startsWith('https://') && broken !== url) {
    return <img class="media-img" src={url} alt={t('Image')} referrerpolicy="no-referrer" onError={() => setBroken(url)} data-testid="preview-image" />;
  }
  if (format === 'VIDEO') {
    return (
      <div class="media-video" data-testid="preview-video">
        <span class="media-play" aria-hidden="true">
          <Icon name="video" size={28} />
        </span>
        <span class="sr-only">{t('Video')}</span>
        {name && <span class="media-name">{name}</span>}
      </div>
    );
  }
  if (format === 'DOCUMENT') {
    return (
      <div class="media-doc" data-testid="preview-document">
        <Icon name="doc" size={28} label={t('Document')} />
        <span class="media-name">{name || t('Document')}</span>
      </div>
    );
  }
  return (
    <div class="media-ph">
      <Icon name={MEDIA_ICON[format] || 'image'} size={36} />
      <span>{t(format === 'IMAGE' ? 'Image' : format === 'LOCATION' ? 'Location' : format)}</span>
    </div>
  );
}

/** "See all options": every button in a sheet over the chat, as WhatsApp does; Esc or Close gives focus back. */
function AllOptions({ buttons, onClose }: { buttons: ShownButton[]; onClose: () => void }) {
  const t = useT();
  const titleId = useId('options');
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const opener = document.activeElement as HTMLElement | null;
    ref.current?.focus();
    return () => {
      if (opener?.isConnected) opener.focus();
    };
  }, []);
  return (
    <div class="phone-sheet-wrap" onClick={(e) => e.target === e.currentTarget && onClose()}>
      <div class="phone-sheet" role="dialog" aria-labelledby={titleId} tabIndex={-1} ref={ref} data-testid="preview-all-options"
        onKeyDown={(e) => {
          if (e.key === 'Escape') {
            e.stopPropagation();
            onClose();
          }
        }}>
        <div class="phone-sheet-head">
          <strong id={titleId}>{t('See all options')}</strong>
          <button type="button" class="icon-btn" onClick={onClose} aria-label={t('Close')}>
            <Icon name="close" size={18} />
          </button>
        </div>
        <ul>
          {buttons.map((b, i) => (
            <li key={i}>
              <Icon name={BUTTON_ICON[b.type ?? ''] || 'reply'} size={16} />
              {b.type === 'COPY_CODE' ? t('Copy offer code') : b.text || '…'}
            </li>
          ))}
        </ul>
      </div>
    </div>
  );
}

export function PhonePreview({ preview, error, loading, buttons }: { preview: Preview | null; error: unknown; loading: boolean; buttons?: ShownButton[] }) {
  const t = useT();
  const [allOpen, setAllOpen] = useState(false);
  const more = preview?.more_buttons || 0;
  useEffect(() => {
    if (!more) setAllOpen(false);
  }, [more]);
  return (
    <aside class="phone-col" aria-label={t('Preview')} data-testid="preview-col">
      <div class="phone" data-testid="phone-preview" aria-busy={loading}>
        <div class="phone-top">
          <span class="phone-avatar" aria-hidden="true">
            {(preview?.masking_name || 'K').slice(0, 1).toUpperCase()}
          </span>
          <span class="phone-name" data-testid="preview-masking">
            {preview?.masking_name || '…'}
          </span>
        </div>
        <div class="phone-chat">
          {error ? (
            <p class="phone-note">{errorText(error, t)}</p>
          ) : !preview ? (
            <p class="phone-note">{t('Loading…')}</p>
          ) : !preview.body && !preview.header ? (
            <p class="phone-note">{t('Type a body to see the preview.')}</p>
          ) : (
            <div class="bubble-wrap">
              <div class="bubble">
                {preview.header && (
                  <div class="bubble-header" data-testid="preview-header">
                    {preview.header.format === 'TEXT' || preview.header.text ? (
                      <strong class="bubble-title">{preview.header.text || '…'}</strong>
                    ) : (
                      <MediaHeader format={preview.header.format ?? ''} url={preview.header.media_url || ''} />
                    )}
                  </div>
                )}
                {preview.body && (
                  <div class="bubble-body" data-testid="preview-body">
                    {preview.body}
                  </div>
                )}
                {preview.footer && (
                  <div class="bubble-footer" data-testid="preview-footer">
                    {preview.footer}
                  </div>
                )}
                <div class="bubble-time" aria-hidden="true">
                  12:00
                </div>
              </div>
              {preview.buttons.map((b, i) => (
                <div class="bubble-button" key={i} data-testid="preview-button">
                  <Icon name={BUTTON_ICON[b.type ?? ''] || 'reply'} size={16} />
                  {b.text || '…'}
                </div>
              ))}
              {more > 0 && (
                <button type="button" class="bubble-button see-all" data-testid="preview-see-all" aria-haspopup="dialog" aria-expanded={allOpen} onClick={() => setAllOpen(true)} disabled={!buttons}>
                  <Icon name="list" size={16} />
                  {t('See all options')} (+{more})
                </button>
              )}
            </div>
          )}
        </div>
        {allOpen && buttons && <AllOptions buttons={buttons} onClose={() => setAllOpen(false)} />}
      </div>
      <p class="muted small center">{t('Preview')}</p>
    </aside>
  );
}
