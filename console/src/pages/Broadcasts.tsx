// Broadcasts ("Kirim Massal"): one message to many customers from a CSV/XLSX file. The list, a one-page wizard
// (content, recipients, validation, schedule, review; the draft is saved at every step) and a detail page with
// live progress. Loaded on demand (App.tsx) so the first load stays small.
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { ApiError, appPath, get, patch, post, put } from '../api/client';
import {
  MAX_FILE_BYTES,
  broadcastsPath,
  uploadFile,
  type AnyContent,
  type Broadcast,
  type BroadcastChannel,
  type BroadcastList,
  type BroadcastProgress,
  type MappedValue,
  type Mapping,
  type UploadTicket,
} from '../api/broadcasts';
import type { DownloadLink, EmailIdentityList, IvrScript, IvrScriptList, Preview, Report, Settings, Template, TemplateList } from '../api/types';
import { STATUS_KIND, fileErrorText, notSentText, statusLine } from '../broadcastWords';
import { CHANNEL_LABEL } from '../channels';
import { DateField } from '../DateField';
import { formatNumber, formatTime, isoDay } from '../format';
import { useLang, useT, type T } from '../i18n';
import { navigate, type Route } from '../router';
import { useSession } from '../state';
import { Alert, Card, Dialog, Empty, Fact, Icon, Loading, ErrorState, PageHeader, PollFailure, Select, Table, TextArea, TextInput, errorText, useLoad, usePollFailure, useSubmit } from '../ui';
import { NoApplication } from './common';
import { PhonePreview } from './TemplateForm';

const CHANNELS: BroadcastChannel[] = ['whatsapp', 'sms', 'email', 'ivr'];
const MEDIA = ['IMAGE', 'VIDEO', 'DOCUMENT'];
const POLL_MS = 3000;
const live = (b: { status: string }) => b.status === 'running' || b.status === 'scheduled' || b.status === 'validating';
// A completed broadcast's numbers come from its messages' stream, a little after the last send: polled on
// until every send is counted (queued 0) and, for a few minutes at most, until each has its delivery status.
const SETTLE_POLLS = 60;
const settling = (b: Pick<Broadcast, 'status' | 'progress'>) =>
  b.status === 'completed' && (b.progress.queued > 0 || b.progress.delivered + b.progress.failed < b.progress.sent);
const editable = (b: Broadcast) => b.status === 'draft' || b.status === 'validating' || b.status === 'ready';

export function Broadcasts({ route }: { route: Route }) {
  const t = useT();
  const { app } = useSession();
  if (!app) return <NoApplication title={t('Broadcast')} />;
  const channels = CHANNELS.filter((c) => app.channels.some((a) => a.channel === c));
  const id = route.path[1];
  if (!id) return <BroadcastListPage applicationId={app.application_id} viewer={app.role === 'viewer'} />;
  if (id === 'new') return app.role === 'viewer' ? <ViewerNote /> : <Wizard key={app.application_id} initial={null} channels={channels} />;
  return <BroadcastLoader key={app.application_id + id} applicationId={app.application_id} broadcastId={id} channels={channels} />;
}

function ViewerNote() {
  const t = useT();
  return <Empty icon="alert" message={t('Your role can follow broadcasts but not create, start or stop them.')} action={{ label: t('Back to broadcasts'), href: '#/broadcasts' }} />;
}

function StatusPill({ b }: { b: Pick<Broadcast, 'status' | 'status_reason'> }) {
  const t = useT();
  return (
    <span class={`badge badge-${STATUS_KIND[b.status]} badge-wrap`} data-testid="broadcast-status" data-status={b.status}>
      {statusLine(b.status, b.status_reason, t)}
    </span>
  );
}

// `failed` messages are among the `sent` ones (every message written counts as sent).
const processed = (p: Broadcast['progress']) => p.sent + p.not_sent;

// ---------------------------------------------------------------- list
function BroadcastListPage({ applicationId, viewer }: { applicationId: string; viewer: boolean }) {
  const t = useT();
  const { lang } = useLang();
  const [more, setMore] = useState<Broadcast[]>([]);
  const [cursor, setCursor] = useState<string | null>(null);
  const loaded = useLoad((signal) => get<BroadcastList>(broadcastsPath(applicationId), { limit: 25 }, signal), [applicationId]);
  const items = loaded.data ? [...loaded.data.items, ...more.filter((m) => !loaded.data!.items.some((i) => i.broadcast_id === m.broadcast_id))] : undefined;
  const next = more.length ? cursor : loaded.data?.next_cursor;
  const anyLive = Boolean(loaded.data?.items.some((b) => live(b) || b.progress.queued > 0 && b.status === 'completed'));
  useEffect(() => {
    if (!anyLive) return;
    const timer = setTimeout(() => loaded.reload(), POLL_MS);
    return () => clearTimeout(timer);
  }, [loaded.data, loaded.error, anyLive]); // a failed poll is followed by the next
  const loadMore = async () => {
    const page = await get<BroadcastList>(broadcastsPath(applicationId), { limit: 25, cursor: next });
    setMore((m) => [...m, ...page.items]);
    setCursor(page.next_cursor);
  };
  const newButton = viewer ? null : (
    <a class="btn btn-primary" href="#/broadcasts/new" data-testid="new-broadcast">
      <Icon name="plus" size={18} />
      {t('New broadcast')}
    </a>
  );
  return (
    <>
      <PageHeader title={t('Broadcast')}>{newButton}</PageHeader>
      {viewer && <Alert kind="info">{t('Your role can follow broadcasts but not create, start or stop them.')}</Alert>}
      <Card>
        {loaded.error && !items ? (
          <ErrorState error={loaded.error} onRetry={loaded.reload} />
        ) : !items ? (
          <Loading />
        ) : (
          <Table testid="broadcasts" label={t('Broadcast')} rows={items} rowKey={(b) => b.broadcast_id} rowAttrs={(b) => ({ 'data-name': b.name, 'data-status': b.status })}
            onRowClick={(b) => navigate('/broadcasts/' + b.broadcast_id)}
            empty={{ icon: 'broadcast', message: t('A broadcast sends one message to many customers at once, from a CSV or Excel file of their numbers or addresses.'), action: viewer ? undefined : { label: t('New broadcast'), href: '#/broadcasts/new' } }}
            columns={[
              {
                label: t('Name'),
                class: 'wrap-any',
                cell: (b) => (
                  <a class="strong" href={`#/broadcasts/${b.broadcast_id}`} onClick={(e) => e.stopPropagation()}>
                    {b.name}
                  </a>
                ),
              },
              { label: t('Channel'), cell: (b) => CHANNEL_LABEL[b.channel] },
              { label: t('Status'), cell: (b) => <StatusPill b={b} /> },
              {
                label: t('Progress'),
                cell: (b) =>
                  b.progress.total > 0 ? (
                    <>
                      <span class="small">
                        {formatNumber(processed(b.progress), lang)} / {formatNumber(b.progress.total, lang)}
                      </span>
                      <progress class="progress" max={b.progress.total} value={processed(b.progress)} aria-label={`${t('Progress')} ${b.name}`} />
                    </>
                  ) : (
                    <span class="muted">—</span>
                  ),
              },
              { label: t('Created'), cell: (b) => formatTime(b.created_at, lang) },
            ]}
          />
        )}
        {next && (
          <div class="form-actions start">
            <button type="button" class="btn btn-secondary" onClick={loadMore}>
              {t('Show more')}
            </button>
          </div>
        )}
      </Card>
    </>
  );
}

// ---------------------------------------------------------------- one broadcast
function BroadcastLoader({ applicationId, broadcastId, channels }: { applicationId: string; broadcastId: string; channels: BroadcastChannel[] }) {
  const t = useT();
  const viewer = useSession().app?.role === 'viewer';
  const loaded = useLoad((signal) => get<Broadcast>(broadcastsPath(applicationId, broadcastId), undefined, signal), [applicationId, broadcastId]);
  const b = loaded.data;
  // Another application picked (or an old link): this one has no such broadcast.
  if (loaded.error instanceof ApiError && loaded.error.status === 404) return <Empty icon="broadcast" message={t('This application has no such broadcast.')} action={{ label: t('Back to broadcasts'), href: '#/broadcasts' }} />;
  if (loaded.error && !b) return <ErrorState error={loaded.error} onRetry={loaded.reload} />;
  if (!b) return <Loading />;
  if (editable(b) && !viewer) return <Wizard initial={b} channels={channels} onStarted={loaded.setData} />;
  return <Detail b={b} setB={loaded.setData} applicationId={applicationId} />;
}

// ---------------------------------------------------------------- placeholders
interface Slot {
  key: string;
  label: string;
}

/** WhatsApp's {{1}}, {{2}}… of a text */
const numbered = (text: string | undefined) => [...new Set([...(text || '').matchAll(/\{\{\s*(\d+)\s*\}\}/g)].map((m) => m[1]))];
/** {{name}}-style placeholders of SMS, email texts */
const named = (text: string | undefined) => [...new Set([...(text || '').matchAll(/\{\{\s*(\w+)\s*\}\}/g)].map((m) => m[1]))];

function slotsOf(channel: BroadcastChannel, content: AnyContent, tpl: Template | undefined, script: IvrScript | undefined, t: T): Slot[] {
  if (channel === 'whatsapp') {
    if (!tpl) return [];
    const out: Slot[] = [];
    // The keys the API asks for: the body's numbers, "header" for a text header's {{1}}, "button_N" for the
    // URL button at index N (a media header's URL is in the content, the same for everyone).
    for (const n of numbered(tpl.body?.text).sort((a, b) => Number(a) - Number(b))) out.push({ key: n, label: `{{${n}}}` });
    if (tpl.header?.format === 'TEXT' && numbered(tpl.header?.text).length) out.push({ key: 'header', label: t('Header text {{1}}') });
    (tpl.buttons || []).forEach((b, i) => {
      if (b.type === 'URL' && numbered(b.url).length) out.push({ key: `button_${i}`, label: t('Button {n} · end of the link', { n: i + 1 }) });
    });
    return out;
  }
  if (channel === 'ivr') return (script?.required_variable || []).map((v) => ({ key: v, label: `{{${v}}}` }));
  const text = channel === 'sms' ? content.text : `${content.subject || ''} ${content.html || ''}`;
  return named(text).map((n) => ({ key: n, label: `{{${n}}}` }));
}

/** The value a placeholder takes in a row of the file. */
function valueIn(row: string[], columns: string[], m: MappedValue | undefined): string | undefined {
  if (!m) return undefined;
  if ('value' in m) return m.value;
  const at = columns.indexOf(m.column);
  return at >= 0 ? row[at] ?? '' : undefined;
}

function fill(text: string, pattern: RegExp, row: string[], columns: string[], values: Record<string, MappedValue>): string {
  return text.replace(pattern, (whole, key: string) => valueIn(row, columns, values[key]) ?? whole);
}

/** GSM-7 text fits 160 characters (153 a part when longer); anything else (emoji, Arabic) 70 (67). */
export function smsSegments(text: string): number {
  const gsm = /^[\n\r\x20-\x7E£¥èéùìòÇØøÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ¡ÄÖÑÜ§¿äöñüà€]*$/.test(text);
  const length = [...text].length + (gsm ? (text.match(/[\^{}\\[~\]|€]/g) || []).length : 0);
  const [one, part] = gsm ? [160, 153] : [70, 67];
  return length === 0 ? 0 : length <= one ? 1 : Math.ceil(length / part);
}

/** "+07:00": the offset of `zone` at that wall-clock time (to send start_at in the application's zone). */
function offsetOf(zone: string, day: string, time: string): string {
  try {
    const name = new Intl.DateTimeFormat('en-US', { timeZone: zone, timeZoneName: 'longOffset' })
      .formatToParts(new Date(`${day}T${time}:00Z`))
      .find((p) => p.type === 'timeZoneName')?.value;
    const m = /GMT([+-]\d{2}:\d{2})/.exec(name || '');
    return m ? m[1] : '+00:00';
  } catch {
    return '+00:00';
  }
}

export function durationText(seconds: number, t: T): string {
  if (seconds < 60) return t('{n, plural, one {# second} other {# seconds}}', { n: Math.max(1, Math.round(seconds)) });
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return t('{n, plural, one {# minute} other {# minutes}}', { n: minutes });
  return t('{h} h {m} min', { h: Math.floor(minutes / 60), m: minutes % 60 });
}

const sizeText = (bytes: number, lang: string) => (bytes >= 1024 * 1024 ? (bytes / 1024 / 1024).toLocaleString(lang === 'id' ? 'id-ID' : 'en-GB', { maximumFractionDigits: 1 }) + ' MB' : Math.max(1, Math.round(bytes / 1024)) + ' KB');

// ---------------------------------------------------------------- refusals in words
const REFUSALS: Record<string, string> = {
  no_file: 'The file has not arrived. Upload it again.',
  no_errors: 'This file has no rows with a problem.',
  unmapped_placeholder: 'Choose a column or type a fixed value for every placeholder.',
  missing_column: 'A column chosen for the recipient or a placeholder is not in the file. Check the column choices.',
  wrong_status: 'This broadcast has moved on since you opened it. Reload the page to see where it is.',
  template_paused: 'WhatsApp paused the template. Wait until WhatsApp allows it again, or choose another template.',
  template_not_approved: 'The template is not approved by WhatsApp. Choose an approved template.',
  in_the_past: 'That time has passed. Choose a later date or time.',
  too_late: 'Choose a start within a year from now.',
  invalid_time: 'Quiet hours need two different times of day.',
};

/** The API's refusal as the page says it: the broadcast's own reasons, else the console's usual words. */
function faultText(error: unknown, t: T): string {
  if (error instanceof ApiError && error.status < 500) {
    const reasons = error.items.map((i) => (i as { reason?: string }).reason || '');
    const known = reasons.map((r) => (REFUSALS[r] ? t(REFUSALS[r]) : FILE_CODES.includes(r) ? fileErrorText(r, t) : '')).filter(Boolean);
    if (known.length === reasons.length) return [...new Set(known)].join(' ');
  }
  return errorText(error, t);
}
const FILE_CODES = ['empty_file', 'encoding', 'binary', 'too_many_rows', 'too_large', 'no_header'];

/** What went wrong, said in the page's language at each render (a switch of language re-says it): a catalogue
 * key, [key, values], {file: code}, or an error from the API. */
type Problem = unknown;
function say(p: Problem, t: T): string {
  if (!p) return '';
  if (typeof p === 'string') return t(p);
  if (Array.isArray(p)) return t(p[0], p[1]);
  if (typeof p === 'object' && 'file' in (p as object)) return fileErrorText((p as { file: string }).file, t);
  return faultText(p, t);
}

/** A button's call to the API: busy while it runs, its refusal in words. */
function useAction() {
  const t = useT();
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<Problem>(null);
  const run = async (send: () => Promise<unknown>) => {
    setBusy(true);
    setProblem(null);
    try {
      await send();
    } catch (err) {
      setProblem(err);
    } finally {
      setBusy(false);
    }
  };
  return { busy, error: say(problem, t), run };
}

// ---------------------------------------------------------------- wizard
const STEPS = ['Content', 'Recipients', 'Validate', 'Schedule and pace', 'Review and start'];

function firstStep(b: Broadcast | null): number {
  if (!b || !b.content || !Object.keys(b.content).length) return 0;
  if (b.status === 'validating' || b.validation?.error) return 2;
  if (b.status === 'ready') return 3;
  return 1;
}

function Wizard({ initial, channels, onStarted }: { initial: Broadcast | null; channels: BroadcastChannel[]; onStarted?: (b: Broadcast) => void }) {
  const t = useT();
  const { app } = useSession();
  const applicationId = app!.application_id;
  const [b, setB] = useState<Broadcast | null>(initial);
  const [step, setStep] = useState(() => firstStep(initial));
  const [name, setName] = useState(initial?.name || '');
  const [channel, setChannel] = useState<BroadcastChannel>(initial?.channel || channels[0]);
  const [content, setContent] = useState<AnyContent>(initial?.content || {});
  const [mapping, setMapping] = useState<Mapping>(initial?.mapping || { recipient: '', values: {} });
  const heading = useRef<HTMLHeadingElement>(null);
  const go = (n: number) => {
    setStep(n);
    // The step's own heading takes the focus, so a screen reader hears where the wizard went.
    setTimeout(() => heading.current?.focus(), 0);
  };

  const settings = useLoad((signal) => get<Settings>(appPath(applicationId) + '/settings', undefined, signal), [applicationId]);
  const templates = useLoad(channel === 'whatsapp' ? (signal) => get<TemplateList>(appPath(applicationId) + '/whatsapp/templates', { status: 'APPROVED' }, signal) : null, [applicationId, channel]);
  const identities = useLoad(channel === 'email' ? (signal) => get<EmailIdentityList>(appPath(applicationId) + '/email-identities', undefined, signal) : null, [applicationId, channel]);
  const scripts = useLoad(channel === 'ivr' ? (signal) => get<IvrScriptList>(appPath(applicationId) + '/ivr', undefined, signal) : null, [applicationId, channel]);
  const tpl = templates.data?.items.find((x) => x.template_id === content.template_id);
  const script = scripts.data?.items.find((x) => x.ivr_id === content.script_id);
  const slots = slotsOf(channel, content, tpl, script, t);

  if (!channels.length) {
    return (
      <>
        <PageHeader title={t('New broadcast')} />
        <Card>
          <Empty icon="broadcast" message={t('This application has no WhatsApp, SMS, email or IVR channel to broadcast on.')} />
        </Card>
      </>
    );
  }

  const common = { b, setB, applicationId, go, t };
  return (
    <>
      <PageHeader title={b ? b.name : t('New broadcast')}>
        <a class="btn btn-ghost" href="#/broadcasts">
          {t('Back to broadcasts')}
        </a>
      </PageHeader>
      <ol class="steps" aria-label={t('Steps')} data-testid="stepper">
        {STEPS.map((s, i) => (
          <li key={s} class={step === i ? 'on' : i < step ? 'done' : ''} aria-current={step === i ? 'step' : undefined}>
            {i + 1}. {t(s)}
          </li>
        ))}
      </ol>
      <h2 class="step-title" tabIndex={-1} ref={heading}>
        {t(STEPS[step])}
      </h2>
      {step === 0 && (
        <ContentStep {...common} channels={channels} name={name} setName={setName} channel={channel} setChannel={(c) => (setChannel(c), setContent({}))} content={content} setContent={setContent}
          settings={settings.data} templates={templates.data?.items} identities={identities.data?.items.filter((i) => i.status === 'verified').map((i) => i.identity)} scripts={scripts.data?.items} />
      )}
      {step === 1 && b && <RecipientsStep {...common} channel={channel} slots={slots} mapping={mapping} setMapping={setMapping} content={content} tpl={tpl} />}
      {step === 2 && b && <ValidateStep {...common} />}
      {step === 3 && b && <ScheduleStep {...common} rateLimit={settings.data?.rate_limit} />}
      {step === 4 && b && <ReviewStep {...common} onStarted={(fresh) => (onStarted ? onStarted(fresh) : navigate('/broadcasts/' + fresh.broadcast_id))} />}
    </>
  );
}

interface StepProps {
  b: Broadcast | null;
  setB: (b: Broadcast) => void;
  applicationId: string;
  go: (step: number) => void;
  t: T;
}

function Nav({ back, next, busy, nextLabel }: { back?: () => void; next?: string | false; busy?: boolean; nextLabel?: string }) {
  const t = useT();
  return (
    <div class="form-actions wizard-nav">
      {back && (
        <button type="button" class="btn btn-secondary" onClick={back}>
          {t('Back')}
        </button>
      )}
      {next !== false && (
        <button type="submit" class="btn btn-primary" disabled={busy} data-testid="wizard-next">
          {nextLabel || t('Next')}
        </button>
      )}
    </div>
  );
}

function ContentStep(props: StepProps & {
  channels: BroadcastChannel[];
  name: string;
  setName: (v: string) => void;
  channel: BroadcastChannel;
  setChannel: (c: BroadcastChannel) => void;
  content: AnyContent;
  setContent: (c: AnyContent) => void;
  settings: Settings | undefined;
  templates: Template[] | undefined;
  identities: string[] | undefined;
  scripts: IvrScript[] | undefined;
}) {
  const { t, b, channel, content, setContent } = props;
  const { errors, setErrors, general, busy, run } = useSubmit();
  // A field's error goes once the field changes.
  const clear = (...fields: string[]) => fields.some((f) => errors[f]) && setErrors(Object.fromEntries(Object.entries(errors).filter(([f]) => !fields.includes(f))));
  const set = (patchValue: AnyContent) => {
    clear(...Object.keys(patchValue).map((k) => 'content.' + k));
    setContent({ ...content, ...patchValue });
  };
  const err = (field: string) => (errors[field] ? t(errors[field]) : undefined);
  const choose = (label: string) => ({ value: '', label });
  const submit = (e: Event) => {
    e.preventDefault();
    const needs: Record<string, string> = {};
    if (!props.name.trim()) needs.name = 'Give the broadcast a name.';
    const required: Record<BroadcastChannel, (keyof AnyContent)[]> = { whatsapp: ['template_id'], sms: ['sender_id', 'text'], email: ['sender_email', 'subject', 'html'], ivr: ['script_id', 'caller_id'] };
    for (const k of required[channel]) if (!String(content[k] ?? '').trim()) needs['content.' + k] = 'Fill this in.';
    const media = channel === 'whatsapp' && MEDIA.includes(props.templates?.find((x) => x.template_id === content.template_id)?.header?.format || '');
    if (media && !/^https:\/\/\S+$/.test(content.header_media_url || '')) needs['content.header_media_url'] = 'Enter an address starting with https://.';
    if (Object.keys(needs).length) return setErrors(needs);
    const body = { name: props.name.trim(), content: pick(channel, content) };
    run(async () => {
      const fresh = b ? await patch<Broadcast>(broadcastsPath(props.applicationId, b.broadcast_id), body) : await post<Broadcast>(broadcastsPath(props.applicationId), { ...body, channel });
      props.setB(fresh);
      if (b) props.go(1);
      else navigate('/broadcasts/' + fresh.broadcast_id);
    });
  };
  const segments = channel === 'sms' ? smsSegments(content.text || '') : 0;
  return (
    <Card>
      <form class="stack narrow" onSubmit={submit} noValidate>
        {general && <Alert>{general}</Alert>}
        <TextInput label={t('Broadcast name')} name="broadcast-name" value={props.name} onInput={(v) => (clear('name'), props.setName(v))} error={err('name')} required maxLength={100} hint={t('For you only; customers do not see it. E.g. Lebaran sale.')} />
        {b ? (
          <dl class="facts">
            <Fact label={t('Channel')}>{CHANNEL_LABEL[channel]}</Fact>
          </dl>
        ) : (
          <Select label={t('Channel')} name="broadcast-channel" value={channel} onChange={props.setChannel} options={props.channels.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))} error={err('channel')} />
        )}
        {channel === 'whatsapp' &&
          (props.templates && !props.templates.length ? (
            <Alert kind="info">
              {t('No approved template yet. A WhatsApp broadcast sends a template WhatsApp approved.')} <a href="#/templates/new">{t('Add Template')}</a>
            </Alert>
          ) : (
            <Select label={t('Approved template')} name="broadcast-template" value={content.template_id || ''} onChange={(v) => set({ template_id: v, header_media_url: null })} error={err('content.template_id')}
              options={[choose(t('Choose a template')), ...(props.templates || []).map((x) => ({ value: x.template_id, label: x.name }))]} />
          ))}
        {channel === 'whatsapp' && MEDIA.includes(props.templates?.find((x) => x.template_id === content.template_id)?.header?.format || '') && (
          <TextInput label={t('Header media URL')} name="broadcast-media" type="url" value={content.header_media_url || ''} onInput={(v) => set({ header_media_url: v || null })} error={err('content.header_media_url')}
            hint={t('An https:// address of the image, video or document every customer gets.')} placeholder="https://" />
        )}
        {channel === 'sms' && (
          <>
            <Select label={t('Sender ID')} name="broadcast-sender" value={content.sender_id || ''} onChange={(v) => set({ sender_id: v })} error={err('content.sender_id')}
              options={[choose(t('Choose a sender ID')), ...(props.settings?.sender_ids || []).map((s) => ({ value: s, label: s }))]} />
            <TextArea label={t('Text')} name="broadcast-text" value={content.text || ''} onInput={(v) => set({ text: v })} error={err('content.text')} rows={5}
              hint={t('Write {{column}} where a column of your file goes, e.g. Halo {{name}}.')} />
            <p class="muted small" data-testid="sms-segments" aria-live="polite">
              {t('{n, plural, =0 {No text yet} one {# SMS part for this text} other {# SMS parts for this text}} ({chars} characters). A long value in a placeholder can make more.', { n: segments, chars: [...(content.text || '')].length })}
            </p>
          </>
        )}
        {channel === 'email' && (
          <>
            <Select label={t('Sender')} name="broadcast-sender-email" value={content.sender_email || ''} onChange={(v) => set({ sender_email: v })} error={err('content.sender_email')}
              hint={props.identities && !props.identities.length ? t('No verified sender yet: verify one in Settings.') : undefined}
              options={[choose(t('Choose a verified sender')), ...(props.identities || []).map((s) => ({ value: s, label: s }))]} />
            <TextInput label={t('Subject')} name="broadcast-subject" value={content.subject || ''} onInput={(v) => set({ subject: v })} error={err('content.subject')} maxLength={200} />
            <TextArea label={t('Email body (HTML)')} name="broadcast-html" value={content.html || ''} onInput={(v) => set({ html: v })} error={err('content.html')} rows={8}
              hint={t('Write {{column}} where a column of your file goes, e.g. Halo {{name}}.')} />
          </>
        )}
        {channel === 'ivr' && (
          <>
            <Select label={t('IVR script')} name="broadcast-script" value={content.script_id || ''} onChange={(v) => set({ script_id: v })} error={err('content.script_id')}
              options={[choose(t('Choose a script')), ...(props.scripts || []).map((s) => ({ value: s.ivr_id, label: s.ivr_name }))]} />
            <Select label={t('Caller ID')} name="broadcast-caller" value={content.caller_id || ''} onChange={(v) => set({ caller_id: v })} error={err('content.caller_id')}
              options={[choose(t('Choose a caller ID')), ...(props.settings?.caller_ids || []).map((s) => ({ value: s, label: s }))]} />
          </>
        )}
        <Nav busy={busy} nextLabel={b ? t('Save and continue') : t('Create draft and continue')} />
      </form>
    </Card>
  );
}

/** Only the chosen channel's keys go to the API. */
function pick(channel: BroadcastChannel, c: AnyContent): AnyContent {
  if (channel === 'whatsapp') return { template_id: c.template_id, header_media_url: c.header_media_url ?? null };
  if (channel === 'sms') return { sender_id: c.sender_id, text: c.text };
  if (channel === 'email') return { sender_email: c.sender_email, subject: c.subject, html: c.html };
  return { script_id: c.script_id, caller_id: c.caller_id };
}

const RECIPIENT_GUESS: Record<BroadcastChannel, RegExp> = {
  whatsapp: /phone|hp|nomor|telp|telepon|whatsapp|wa|msisdn|mobile/i,
  sms: /phone|hp|nomor|telp|telepon|msisdn|mobile/i,
  ivr: /phone|hp|nomor|telp|telepon|msisdn|mobile/i,
  email: /mail/i,
};

function RecipientsStep(props: StepProps & { channel: BroadcastChannel; slots: Slot[]; mapping: Mapping; setMapping: (m: Mapping) => void; content: AnyContent; tpl: Template | undefined }) {
  const { t, b, channel, slots, mapping, setMapping } = props;
  const { lang } = useLang();
  const file = b!.file;
  const [share, setShare] = useState<number | null>(null);
  const [fileError, setFileError] = useState<Problem>(null);
  const [dragging, setDragging] = useState(false);
  const [errors, setErrors] = useState<Record<string, string>>({});
  const err = (field: string) => (errors[field] ? t(errors[field]) : undefined);
  const { busy, error: general, run } = useAction();
  const path = broadcastsPath(props.applicationId, b!.broadcast_id);

  // A new file: guess the recipient column and map placeholders to columns of the same name.
  useEffect(() => {
    if (!file) return;
    const has = (c: string) => file.columns.includes(c);
    const values: Record<string, MappedValue> = {};
    for (const s of slots) {
      const kept = mapping.values[s.key];
      const same = file.columns.find((c) => c.toLowerCase() === s.key.toLowerCase());
      if (kept && ('value' in kept || has(kept.column))) values[s.key] = kept;
      else if (same) values[s.key] = { column: same };
    }
    const recipient = has(mapping.recipient) ? mapping.recipient : file.columns.find((c) => RECIPIENT_GUESS[channel].test(c)) || file.columns[0] || '';
    setMapping({ recipient, values });
  }, [file?.name, file?.columns.join('\u0000'), slots.map((s) => s.key).join(',')]);

  const upload = async (f: File | undefined) => {
    if (!f) return;
    setFileError(null);
    if (!/\.(csv|xlsx)$/i.test(f.name)) return setFileError('Choose a .csv or .xlsx file.');
    if (f.size === 0) return setFileError({ file: 'empty_file' });
    if (f.size > MAX_FILE_BYTES) return setFileError({ file: 'too_large' });
    const type = f.type || (/\.xlsx$/i.test(f.name) ? 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet' : 'text/csv');
    try {
      setShare(0);
      const ticket = await post<UploadTicket>(path + '/upload', { filename: f.name, size: f.size, content_type: type });
      await uploadFile(ticket, f, setShare);
      props.setB(await post<Broadcast>(path + '/file', {}));
    } catch (err) {
      setFileError(err instanceof ApiError ? err : 'The upload stopped. Check your connection and try again.');
    } finally {
      setShare(null);
    }
  };

  const setValue = (key: string, v: MappedValue | undefined) => {
    const values = { ...mapping.values };
    if (v) values[key] = v;
    else delete values[key];
    setMapping({ ...mapping, values });
  };

  const submit = (e: Event) => {
    e.preventDefault();
    if (!file) return setFileError('Upload the file of your customers first.');
    const needs: Record<string, string> = {};
    if (!mapping.recipient) needs.recipient = 'Choose the column with the recipient.';
    for (const s of slots) {
      const m = mapping.values[s.key];
      if (!m || ('value' in m && !m.value.trim())) needs[s.key] = 'Choose a column or type a fixed value.';
    }
    setErrors(needs);
    if (Object.keys(needs).length) return;
    run(async () => {
      await patch<Broadcast>(path, { mapping });
      props.setB(await post<Broadcast>(path + '/validate', { mapping }));
      props.go(2);
    });
  };

  return (
    <form class="stack" onSubmit={submit} noValidate>
      {general && <Alert>{general}</Alert>}
      <Card title={t('File of customers')}>
        <div
          class={'dropzone' + (dragging ? ' dragging' : '')}
          data-testid="dropzone"
          onDragOver={(e) => (e.preventDefault(), setDragging(true))}
          onDragLeave={() => setDragging(false)}
          onDrop={(e) => {
            e.preventDefault();
            setDragging(false);
            upload(e.dataTransfer?.files[0]);
          }}
        >
          <Icon name="upload" size={32} />
          <p>{file ? t('Drop another file here to replace {name}, or', { name: file.name }) : t('Drop a CSV or Excel (.xlsx) file here, or')}</p>
          <label class="btn btn-secondary">
            {t('Choose a file')}
            <input class="sr-only" type="file" accept=".csv,.xlsx,text/csv,application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" data-testid="file-input"
              onChange={(e) => {
                const input = e.target as HTMLInputElement;
                upload(input.files?.[0]);
                input.value = '';
              }} />
          </label>
          <p class="muted small">{t('Up to 100 MB and 1,000,000 customers. The first row holds the column names.')}</p>
        </div>
        {share !== null && (
          <div class="upload-progress" role="status">
            <span>{t('Uploading… {p}%', { p: Math.round(share * 100) })}</span>
            <progress class="progress wide" max={1} value={share} aria-label={t('Upload progress')} />
          </div>
        )}
        {fileError && <Alert>{say(fileError, t)}</Alert>}
        {file && (
          <p class="muted small" data-testid="file-facts">
            {file.name} · {sizeText(file.size, lang)} · {file.format === 'xlsx' ? 'Excel' : 'CSV'}
          </p>
        )}
      </Card>
      {file && (
        <>
          <Card title={t('First rows of the file')}>
            <div class="table-wrap">
              <table class="table table-compact" data-testid="file-preview">
                <caption class="sr-only">{t('First rows of the file')}</caption>
                <thead>
                  <tr>
                    {file.columns.map((c) => (
                      <th key={c} scope="col">
                        {c}
                      </th>
                    ))}
                  </tr>
                </thead>
                <tbody>
                  {file.preview.map((row, i) => (
                    <tr key={i}>
                      {file.columns.map((c, j) => (
                        <td key={c}>{row[j] ?? ''}</td>
                      ))}
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </Card>
          <Card title={t('Match the columns')}>
            <div class="stack narrow">
              <Select label={channel === 'email' ? t('Column with the email address') : t('Column with the phone number')} name="recipient-column" value={mapping.recipient}
                onChange={(v) => setMapping({ ...mapping, recipient: v })} error={err('recipient')} options={file.columns.map((c) => ({ value: c, label: c }))} />
              {slots.map((s) => {
                const m = mapping.values[s.key];
                const choice = !m ? '' : 'value' in m ? '=' : 'col:' + m.column;
                return (
                  <div key={s.key} class="slot" data-slot={s.key}>
                    <Select label={t('Value for {what}', { what: s.label })} name={`slot-${s.key}`} value={choice} error={err(s.key)}
                      onChange={(v) => setValue(s.key, v === '' ? undefined : v === '=' ? { value: '' } : { column: v.slice(4) })}
                      options={[{ value: '', label: t('Choose a column') }, ...file.columns.map((c) => ({ value: 'col:' + c, label: t('Column: {c}', { c }) })), { value: '=', label: t('The same value for everyone') }]} />
                    {m && 'value' in m && <TextInput label={t('Fixed value for {what}', { what: s.label })} name={`slot-${s.key}-value`} value={m.value} onInput={(v) => setValue(s.key, { value: v })} />}
                  </div>
                );
              })}
            </div>
          </Card>
          <RowsPreview channel={channel} file={file} mapping={mapping} content={props.content} tpl={props.tpl} />
        </>
      )}
      <Nav back={() => props.go(0)} busy={busy} nextLabel={t('Check the file')} />
    </form>
  );
}

/** The first three rows as customers will get them (WhatsApp: in the phone). */
function RowsPreview({ channel, file, mapping, content, tpl }: { channel: BroadcastChannel; file: NonNullable<Broadcast['file']>; mapping: Mapping; content: AnyContent; tpl: Template | undefined }) {
  const t = useT();
  const { app } = useSession();
  const rows = file.preview.slice(0, 3);
  const [at, setAt] = useState(0);
  const row = rows[Math.min(at, rows.length - 1)] || [];
  const wa = /\{\{\s*(\d+)\s*\}\}/g;
  const word = /\{\{\s*(\w+)\s*\}\}/g;
  const to = (r: string[]) => valueIn(r, file.columns, { column: mapping.recipient }) || '—';
  const preview: Preview | null = useMemo(() => {
    if (channel !== 'whatsapp' || !tpl) return null;
    const header = tpl.header;
    return {
      masking_name: app?.name || '',
      header: header?.format ? (header.format === 'TEXT' ? { format: 'TEXT', text: fill(header.text || '', wa, row, file.columns, { 1: mapping.values.header }) } : { format: header.format, media_url: content.header_media_url || header.media_url || '' }) : null,
      body: tpl.body?.text ? fill(tpl.body.text, wa, row, file.columns, mapping.values) : null,
      footer: tpl.footer?.text || null,
      buttons: (tpl.buttons || []).slice(0, 3).map((x) => ({ type: (x.type as Preview['buttons'][number]['type']) ?? null, text: x.text ?? null })),
      more_buttons: Math.max(0, (tpl.buttons || []).length - 3),
    };
  }, [channel, tpl, row, mapping, content]);
  return (
    <Card title={t('How the first customers get it')}>
      {rows.length > 1 && (
        <div class="segmented preview-rows" role="group" aria-label={t('Row of the file')}>
          {rows.map((_, i) => (
            <button key={i} type="button" class={i === at ? 'on' : ''} aria-pressed={i === at} onClick={() => setAt(i)}>
              {t('Customer {n}', { n: i + 1 })}
            </button>
          ))}
        </div>
      )}
      <p class="muted small" data-testid="preview-to">
        {t('Recipient')}: {to(row)}
      </p>
      {channel === 'whatsapp' ? (
        <PhonePreview preview={preview} error={null} loading={false} buttons={tpl?.buttons || []} />
      ) : channel === 'ivr' ? (
        <dl class="facts" data-testid="rendered">
          {Object.keys(mapping.values).map((k) => (
            <Fact key={k} label={`{{${k}}}`}>
              {valueIn(row, file.columns, mapping.values[k]) || '—'}
            </Fact>
          ))}
        </dl>
      ) : (
        <div class="rendered" data-testid="rendered">
          {channel === 'email' && <p class="strong">{fill(content.subject || '', word, row, file.columns, mapping.values)}</p>}
          {/* The HTML is shown as text: the console never runs a file's or a form's markup. */}
          <p class="pre-wrap">{fill(channel === 'email' ? (content.html || '').replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim() : content.text || '', word, row, file.columns, mapping.values)}</p>
        </div>
      )}
    </Card>
  );
}

function ValidateStep(props: StepProps) {
  const { t, b } = props;
  const { lang } = useLang();
  const [error, setError] = useState<Problem>(null);
  const path = broadcastsPath(props.applicationId, b!.broadcast_id);
  const poll = usePollFailure();
  useEffect(() => {
    if (b!.status !== 'validating') return;
    const timer = setTimeout(async () => {
      try {
        props.setB(await get<Broadcast>(path));
        poll.succeeded();
      } catch (err) {
        poll.failed(err);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [b, poll.failures]);
  const v = b!.validation;
  const badRows = async () => {
    try {
      // The reasons in the file follow the console's language (the code column does not change).
      window.location.assign((await get<DownloadLink>(path + '/errors', { lang })).url);
    } catch (err) {
      setError(err);
    }
  };
  const n = (x: number) => formatNumber(x, lang);
  return (
    <form class="stack" onSubmit={(e) => (e.preventDefault(), props.go(3))} noValidate>
      {error && <Alert>{say(error, t)}</Alert>}
      <PollFailure error={poll.error} />
      <Card>
        {b!.status === 'validating' ? (
          <div class="stack" role="status" data-testid="validating">
            <p>{t('Checking every row of the file: numbers, duplicates and the suppression list. Nothing is sent yet.')}</p>
            <progress class="progress wide" aria-label={t('Checking the file')} />
          </div>
        ) : v?.error ? (
          <Alert>
            <span data-testid="file-error">{fileErrorText(v.error.code, t)}</span>
          </Alert>
        ) : v ? (
          <div class="stack" data-testid="validation">
            <dl class="facts">
              <Fact label={t('Rows in the file')}>{n(v.rows)}</Fact>
              <Fact label={t('Will be sent')} testid="valid-count">
                <span class="strong">{n(v.valid)}</span>
              </Fact>
              <Fact label={t('Rows with a problem')}>{n(v.invalid)}</Fact>
              <Fact label={t('Duplicates left out')}>{n(v.duplicates)}</Fact>
              <Fact label={t('On the suppression list')}>{n(v.suppressed)}</Fact>
              <Fact label={t('Units needed')} testid="units">
                {t('{units} of {available} left in your quota', { units: n(v.units), available: n(v.quota_available) })}
              </Fact>
              <Fact label={t('Estimated cost')}>{t('{n, plural, one {# unit} other {# units}}', { n: v.estimated_cost })}</Fact>
              <Fact label={t('Estimated duration')}>{durationText(v.estimated_seconds, t)}</Fact>
            </dl>
            {v.units > v.quota_available && <Alert kind="warning">{t('Your quota is not enough for everyone: the broadcast pauses when it runs out and goes on after a top-up.')}</Alert>}
            {v.errors_file && v.invalid > 0 && (
              <div>
                <button type="button" class="btn btn-secondary" onClick={badRows} data-testid="bad-rows">
                  <Icon name="download" size={18} />
                  {t('Download the rows with a problem')}
                </button>
              </div>
            )}
          </div>
        ) : (
          <p>{t('The file has not been checked yet.')}</p>
        )}
      </Card>
      <Nav back={() => props.go(1)} next={b!.status === 'ready' && !v?.error ? undefined : false} />
    </form>
  );
}

function ScheduleStep(props: StepProps & { rateLimit: number | undefined }) {
  const { t, b } = props;
  const { app } = useSession();
  const zone = app!.timezone;
  const s = b!.schedule;
  const max = props.rateLimit || s.rate_per_second || 1;
  const [later, setLater] = useState(Boolean(s.start_at));
  const [day, setDay] = useState(s.start_at?.slice(0, 10) || isoDay(new Date(), zone));
  const [time, setTime] = useState(s.start_at?.slice(11, 16) || '09:00');
  const [rate, setRate] = useState(String(Math.min(s.rate_per_second || max, max)));
  const [quiet, setQuiet] = useState(Boolean(s.quiet_hours));
  const [quietStart, setQuietStart] = useState(s.quiet_hours?.start || '21:00');
  const [quietEnd, setQuietEnd] = useState(s.quiet_hours?.end || '08:00');
  const [errors, setErrors] = useState<Record<string, Problem>>({});
  const err = (field: string) => say(errors[field], t) || undefined;
  const { busy, error: general, run } = useAction();
  const submit = (e: Event) => {
    e.preventDefault();
    const perSecond = Number(rate);
    const needs: Record<string, Problem> = {};
    if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > max) needs.rate_per_second = ['Enter a whole number from 1 to {max}.', { max }];
    if (later && !day) needs.start_at = ['Enter the date as dd/mm/yyyy, e.g. {example}.', { example: '31/12/2026' }];
    if (later && !/^\d{2}:\d{2}$/.test(time)) needs.time = 'Enter the time as hh:mm, e.g. 09:00.';
    if (quiet && quietStart === quietEnd) needs.quiet = 'Quiet hours need two different times of day.';
    setErrors(needs);
    if (Object.keys(needs).length) return;
    run(async () => {
      props.setB(await put<Broadcast>(broadcastsPath(props.applicationId, b!.broadcast_id) + '/schedule', {
        start_at: later ? `${day}T${time}:00${offsetOf(zone, day, time)}` : null,
        rate_per_second: perSecond,
        quiet_hours: quiet ? { start: quietStart, end: quietEnd } : null,
      }));
      props.go(4);
    });
  };
  return (
    <Card>
      <form class="stack narrow" onSubmit={submit} noValidate>
        {general && <Alert>{general}</Alert>}
        <fieldset class="radios">
          <legend>{t('When')}</legend>
          <label class="radio-card">
            <input type="radio" name="when" checked={!later} onChange={() => setLater(false)} />
            <span>{t('Send now')}</span>
          </label>
          <label class="radio-card">
            <input type="radio" name="when" checked={later} onChange={() => setLater(true)} />
            <span>{t('At a date and time')}</span>
          </label>
        </fieldset>
        {later && (
          <div class="two">
            <DateField label={t('Date')} name="start-day" value={day} onChange={setDay} error={err('start_at')} min={isoDay(new Date(), zone)} required />
            <TextInput label={t('Time ({zone})', { zone })} name="start-time" type="time" value={time} onInput={setTime} error={err('time')} />
          </div>
        )}
        <TextInput label={t('Messages per second')} name="rate" type="number" min={1} max={max} value={rate} onInput={(v) => (setRate(v), setErrors({ ...errors, rate_per_second: null }))} error={err('rate_per_second')}
          hint={t('Up to {max} per second, your application’s limit for this channel.', { max })} />
        <label class="check">
          <input type="checkbox" name="quiet" checked={quiet} onChange={(e) => setQuiet((e.target as HTMLInputElement).checked)} />
          {t('Quiet hours: send nothing between two times of day')}
        </label>
        {quiet && (
          <div class="two">
            <TextInput label={t('From ({zone})', { zone })} name="quiet-start" type="time" value={quietStart} onInput={setQuietStart} />
            <TextInput label={t('Until ({zone})', { zone })} name="quiet-end" type="time" value={quietEnd} onInput={setQuietEnd} error={err('quiet')} />
          </div>
        )}
        <Nav back={() => props.go(2)} busy={busy} />
      </form>
    </Card>
  );
}

function ReviewStep(props: StepProps & { onStarted: (b: Broadcast) => void }) {
  const { t, b } = props;
  const { lang } = useLang();
  const { app } = useSession();
  const [confirming, setConfirming] = useState(false);
  const { error: general, busy, run } = useAction();
  const v = b!.validation!;
  const s = b!.schedule;
  const n = (x: number) => formatNumber(x, lang);
  const start = () =>
    run(async () => {
      setConfirming(false);
      props.onStarted(await post<Broadcast>(broadcastsPath(props.applicationId, b!.broadcast_id) + '/start', {}));
    });
  return (
    <form class="stack" onSubmit={(e) => (e.preventDefault(), setConfirming(true))} noValidate>
      {general && <Alert>{general}</Alert>}
      <Card>
        <dl class="facts" data-testid="review">
          <Fact label={t('Broadcast name')}>{b!.name}</Fact>
          <Fact label={t('Channel')}>{CHANNEL_LABEL[b!.channel]}</Fact>
          <Fact label={t('Recipients')}>{n(v.valid)}</Fact>
          <Fact label={t('Units needed')}>{n(v.units)}</Fact>
          <Fact label={t('When')}>{s.start_at ? formatTime(s.start_at, lang, app?.timezone) + ' (' + app?.timezone + ')' : t('Now, when you start it')}</Fact>
          <Fact label={t('Messages per second')}>{n(s.rate_per_second)}</Fact>
          <Fact label={t('Estimated duration')}>{durationText(v.valid / Math.max(1, s.rate_per_second), t)}</Fact>
          <Fact label={t('Quiet hours')}>{s.quiet_hours ? `${s.quiet_hours.start} – ${s.quiet_hours.end}` : t('None')}</Fact>
        </dl>
      </Card>
      <Nav back={() => props.go(3)} busy={busy} nextLabel={s.start_at ? t('Schedule broadcast') : t('Start broadcast')} />
      <Dialog open={confirming} title={t('Send to {n} customers?', { n: n(v.valid) })} onClose={() => setConfirming(false)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setConfirming(false)}>
              {t('Cancel')}
            </button>
            <button type="button" class="btn btn-primary" onClick={start} disabled={busy} data-testid="confirm-start">
              {s.start_at ? t('Yes, schedule') : t('Yes, start sending')}
            </button>
          </>
        }>
        <p>{t('This uses about {units} units of your {channel} quota. You can pause or cancel it while it runs.', { units: n(v.units), channel: CHANNEL_LABEL[b!.channel] })}</p>
      </Dialog>
    </form>
  );
}

// ---------------------------------------------------------------- detail
/** Monitoring on the broadcast's channel and days (in the application's zone); `broadcast` names it, for
 * when Monitoring filters by broadcast too. */
function monitoringLink(b: Broadcast, zone?: string): string {
  const day = (iso: string | null) => isoDay(iso ? new Date(iso) : new Date(), zone);
  const q = new URLSearchParams({ channel: b.channel, from: day(b.started_at || b.created_at), to: day(b.completed_at), broadcast: b.broadcast_id });
  return '#/monitoring?' + q.toString();
}

function Detail({ b, setB, applicationId }: { b: Broadcast; setB: (b: Broadcast) => void; applicationId: string }) {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  const viewer = app?.role === 'viewer';
  const path = broadcastsPath(applicationId, b.broadcast_id);
  const [canceling, setCanceling] = useState(false);
  const [error, setError] = useState<Problem>(null);
  const [busy, setBusy] = useState(false);
  // A pause or cancel answered while a poll was out: the poll's older answer is dropped.
  const acted = useRef(0);
  // Live progress: the cheap /progress route, every few seconds while it runs or waits for its time, and
  // while a completed one's numbers settle.
  const afterEnd = useRef(0);
  const poll = usePollFailure();
  useEffect(() => {
    if (!live(b) && !(settling(b) && afterEnd.current++ < SETTLE_POLLS)) return;
    const timer = setTimeout(async () => {
      const before = acted.current;
      try {
        const p = await get<BroadcastProgress>(path + '/progress');
        poll.succeeded();
        if (acted.current === before) setB({ ...b, ...p });
      } catch (err) {
        poll.failed(err);
      }
    }, POLL_MS);
    return () => clearTimeout(timer);
  }, [b, poll.failures]);
  const act = async (what: 'pause' | 'resume' | 'cancel') => {
    setBusy(true);
    setError(null);
    acted.current++;
    try {
      setB(await post<Broadcast>(`${path}/${what}`, {}));
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
      setCanceling(false);
    }
  };
  const p = b.progress;
  const n = (x: number) => formatNumber(x, lang);
  const reasons = Object.entries(p.not_sent_reasons || {}).filter(([, c]) => c > 0);
  return (
    <>
      <PageHeader title={b.name}>
        <a class="btn btn-ghost" href="#/broadcasts">
          {t('Back to broadcasts')}
        </a>
      </PageHeader>
      {error && <Alert>{say(error, t)}</Alert>}
      <PollFailure error={poll.error} />
      <Card>
        <div class="bc-head">
          <StatusPill b={b} />
          <span class="muted small">
            {CHANNEL_LABEL[b.channel]} · {t('Created')} {formatTime(b.created_at, lang)}
            {b.schedule.start_at && b.status === 'scheduled' && <> · {t('Starts at {time}', { time: formatTime(b.schedule.start_at, lang, app?.timezone) })}</>}
          </span>
        </div>
        <div class="bc-progress" data-testid="progress">
          <progress class="progress wide" max={Math.max(1, p.total)} value={processed(p)} aria-label={t('Progress')} />
          <span class="small">{t('{done} of {total} handled', { done: n(processed(p)), total: n(p.total) })}</span>
        </div>
        <dl class="facts numbers" data-testid="numbers">
          <Fact label={t('Queued')} testid="n-queued">{n(p.queued)}</Fact>
          <Fact label={t('Sent')} testid="n-sent">{n(p.sent)}</Fact>
          <Fact label={t('Delivered')} testid="n-delivered">{n(p.delivered)}</Fact>
          <Fact label={t('Read')} testid="n-read">{n(p.read)}</Fact>
          <Fact label={t('Failed')} testid="n-failed">{n(p.failed)}</Fact>
          <Fact label={t('Not sent')} testid="n-not-sent">
            {n(p.not_sent)}
            {reasons.length > 0 && (
              <ul class="reasons small">
                {reasons.map(([r, c]) => (
                  <li key={r}>
                    {notSentText(r, t)}: {n(c)}
                  </li>
                ))}
              </ul>
            )}
          </Fact>
        </dl>
        <div class="form-actions start">
          {viewer ? (
            <p class="muted small">{t('Your role can follow broadcasts but not create, start or stop them.')}</p>
          ) : (
            <>
              {(b.status === 'running' || b.status === 'scheduled') && (
                <button type="button" class="btn btn-secondary" disabled={busy} onClick={() => act('pause')}>
                  {t('Pause')}
                </button>
              )}
              {b.status === 'paused' && (
                <button type="button" class="btn btn-primary" disabled={busy} onClick={() => act('resume')}>
                  {t('Resume')}
                </button>
              )}
              {(b.status === 'running' || b.status === 'paused' || b.status === 'scheduled') && (
                <button type="button" class="btn btn-danger-ghost" disabled={busy} onClick={() => setCanceling(true)}>
                  {t('Cancel broadcast')}
                </button>
              )}
            </>
          )}
          <a class="btn btn-ghost" href={monitoringLink(b, app?.timezone)} data-testid="monitoring-link">
            <Icon name="monitor" size={18} />
            {t('See the messages')}
          </a>
        </div>
      </Card>
      {b.status !== 'scheduled' && <Results applicationId={applicationId} path={path} />}
      <Dialog open={canceling} title={t('Cancel this broadcast?')} onClose={() => setCanceling(false)}
        footer={
          <>
            <button type="button" class="btn btn-secondary" onClick={() => setCanceling(false)}>
              {t('Keep sending')}
            </button>
            <button type="button" class="btn btn-danger" onClick={() => act('cancel')} disabled={busy} data-testid="confirm-cancel">
              {t('Yes, cancel')}
            </button>
          </>
        }>
        <p>{t('Customers not sent to yet will not get the message. A canceled broadcast cannot be started again.')}</p>
      </Dialog>
    </>
  );
}

/** The per-recipient results, made by the reports machinery: ask, wait for the file, download. */
function Results({ applicationId, path }: { applicationId: string; path: string }) {
  const t = useT();
  const [format, setFormat] = useState<'csv' | 'xlsx'>('xlsx');
  const [report, setReport] = useState<Report | null>(null);
  const [error, setError] = useState<Problem>(null);
  const reportPath = (r: Report) => `${appPath(applicationId)}/reports/${r.report_id}`;
  const working = report && (report.status === 'Processing' || report.status === 'Preparing');
  const poll = usePollFailure();
  useEffect(() => {
    if (!working) return;
    const timer = setTimeout(async () => {
      try {
        setReport(await get<Report>(reportPath(report!)));
        poll.succeeded();
      } catch (err) {
        poll.failed(err);
      }
    }, 1500);
    return () => clearTimeout(timer);
  }, [report, poll.failures]);
  const ask = async () => {
    setError(null);
    try {
      setReport(await post<Report>(path + '/results', { format }));
    } catch (err) {
      setError(err);
    }
  };
  const download = async () => {
    try {
      window.location.assign((await get<DownloadLink>(reportPath(report!) + '/download')).url);
    } catch (err) {
      setError(err);
    }
  };
  return (
    <Card title={t('Results per customer')}>
      <div class="stack narrow">
        {error && <Alert>{say(error, t)}</Alert>}
        <PollFailure error={poll.error} />
        <fieldset class="radios">
          <legend>{t('Format')}</legend>
          <label class="radio-card">
            <input type="radio" name="results-format" checked={format === 'xlsx'} onChange={() => setFormat('xlsx')} />
            <span>.XLSX</span>
          </label>
          <label class="radio-card">
            <input type="radio" name="results-format" checked={format === 'csv'} onChange={() => setFormat('csv')} />
            <span>.CSV</span>
          </label>
        </fieldset>
        <div class="form-actions start">
          {report?.status === 'Done' ? (
            <button type="button" class="btn btn-primary" onClick={download} data-testid="download-results">
              <Icon name="download" size={18} />
              {t('Download')}
            </button>
          ) : (
            <button type="button" class="btn btn-secondary" onClick={ask} disabled={Boolean(working)} data-testid="prepare-results">
              {t('Prepare the results file')}
            </button>
          )}
          {working && (
            <span role="status" class="small">
              {t('Preparing…')} <progress class="progress" max={100} value={report!.progress} aria-label={t('Progress')} />
            </span>
          )}
          {report?.status === 'Failed' && <span class="rejection">{t('The file could not be made. Try again.')}</span>}
        </div>
      </div>
    </Card>
  );
}
