import { useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, appPath, get, post } from '../api/client';
import { broadcastsPath, type Broadcast } from '../api/broadcasts';
import type { Channel, Delivery, MessageDetail, MessageItem, MessagePage, StatusWord } from '../api/types';
import { CHANNEL_LABEL, STATUS_WORDS, allStatusWords, outcome } from '../channels';
import { failureReason } from '../failures';
import { formatNumber, formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { navigate, type Route } from '../router';
import { useSession } from '../state';
import { Card, DateRangePicker, Dialog, Fact, Icon, PageHeader, Select, StatusBadge, Table, WhenLoaded, presetRange, useLoad, type DateRange, type RangePreset } from '../ui';
import { NoApplication, messageColumns } from './common';

const PAGE_SIZE = 20;
const PRESETS: RangePreset[] = ['today', 'yesterday', '7', '30'];
const ULID = /^[0-9A-HJKMNP-TV-Z]{26}$/i;
const PHONE = /^\+?[0-9 ().-]+$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;
const BROADCAST = /^bc_[0-9A-Z]{26}$/;

interface Filters {
  channel: '' | Channel;
  status: '' | StatusWord;
  range: DateRange;
  order: 'desc' | 'asc';
  /** a recipient: a phone number as typed, or an email */
  q: string;
  /** one broadcast's messages (the Broadcast page's link) */
  broadcast: string;
}

/** The filters the URL's query holds (`#/monitoring?channel=sms&range=yesterday&q=0812...`): what a
 * reload or a shared link shows. Values this application cannot have are left out. */
function readFilters(query: URLSearchParams, channels: Channel[], zone: string): Filters {
  const c = query.get('channel') as Channel | null;
  const channel = c && channels.includes(c) ? c : '';
  const s = query.get('status') as StatusWord | null;
  const words = channel ? STATUS_WORDS[channel] : allStatusWords(channels);
  const status = s && words.includes(s) ? s : '';
  const r = query.get('range') as RangePreset | null;
  const from = query.get('from') || '';
  const to = query.get('to') || '';
  const range =
    r && PRESETS.includes(r) ? presetRange(r, undefined, zone)
      : DAY.test(from) && DAY.test(to) ? { preset: 'custom' as const, from: from <= to ? from : to, to: from <= to ? to : from }
        : presetRange('7', undefined, zone);
  return { channel, status, range, order: query.get('order') === 'asc' ? 'asc' : 'desc', q: (query.get('q') || '').slice(0, 254), broadcast: BROADCAST.test(query.get('broadcast') || '') ? query.get('broadcast')! : '' };
}

function filterQuery(f: Filters): string {
  const q = new URLSearchParams();
  if (f.channel) q.set('channel', f.channel);
  if (f.status) q.set('status', f.status);
  if (f.range.preset === 'custom') {
    q.set('from', f.range.from);
    q.set('to', f.range.to);
  } else if (f.range.preset !== '7') q.set('range', f.range.preset);
  if (f.order === 'asc') q.set('order', 'asc');
  if (f.q) q.set('q', f.q);
  if (f.broadcast) q.set('broadcast', f.broadcast);
  const text = q.toString();
  return text ? '?' + text : '';
}

/** What the search box holds: a message id, a recipient, or something we can tell is neither. */
function searchKind(text: string): 'id' | 'recipient' | 'bad' {
  if (ULID.test(text)) return 'id';
  if (text.includes('@')) return 'recipient';
  return PHONE.test(text) && text.replace(/\D/g, '').length >= 8 ? 'recipient' : 'bad';
}

export function Monitoring({ route }: { route: Route }) {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  const zone = app?.timezone;
  const appChannels = app ? app.channels.map((c) => c.channel) : [];
  const filters = readFilters(route.query, appChannels, zone || 'Asia/Jakarta');
  const { channel, status, range, order, q, broadcast } = filters;
  const qs = filterQuery(filters);
  const openId = route.path[1];
  const setFilters = (next: Partial<Filters>) => navigate('/monitoring' + filterQuery({ ...filters, ...next }));
  // Another application: its own channels and recipients, so only the date range stays.
  const shownApp = useRef(app?.application_id);
  useEffect(() => {
    if (shownApp.current && app && shownApp.current !== app.application_id) setFilters({ channel: '', status: '', q: '', broadcast: '' });
    shownApp.current = app?.application_id;
  }, [app?.application_id]);
  const [text, setText] = useState(q);
  const [searchError, setSearchError] = useState(false);
  useEffect(() => setText(q), [q]);
  // cursors[i] opens page i+1 (page 1 needs none); another filter starts again at page 1
  const filterKey = [app?.application_id, channel, status, range.from, range.to, order, q, broadcast].join('|');
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key: filterKey, cursors: [null] });
  const cursors = paging.key === filterKey ? paging.cursors : [null];
  const setCursors = (next: (string | null)[]) => setPaging({ key: filterKey, cursors: next });
  const page = cursors.length;
  const loaded = useLoad<MessagePage>(
    app
      ? (signal) =>
          get<MessagePage>(
            appPath(app.application_id) + '/messages',
            { channel, status, from: range.from, to: range.to, order, limit: PAGE_SIZE, recipient: q, broadcast_id: broadcast, cursor: cursors[cursors.length - 1] },
            signal,
          )
      : null,
    [filterKey, cursors.length],
  );
  const names = useBroadcastNames(app?.application_id, [broadcast, ...(loaded.data?.items || []).map((m) => m.broadcast_id || '')]);
  if (!app) return <NoApplication title={t('Monitoring')} />;
  const words = channel ? STATUS_WORDS[channel] : allStatusWords(appChannels);
  const search = (e: Event) => {
    e.preventDefault();
    const value = text.trim();
    const kind = value ? searchKind(value) : 'recipient';
    setSearchError(kind === 'bad');
    if (kind === 'id') navigate('/monitoring/' + value.toUpperCase() + qs);
    else if (kind === 'recipient') setFilters({ q: value });
  };
  // The server refuses a recipient it cannot read as a number or an address: say so at the box.
  const refused = loaded.error instanceof ApiError && loaded.error.status === 406 && loaded.error.fieldErrors().recipient !== undefined;
  const badSearch = searchError || refused;
  const count = (data: MessagePage) => {
    if (data.total !== null) return t('{count, plural, one {# message} other {# messages}}', { count: data.total });
    const shown = (page - 1) * PAGE_SIZE + data.items.length;
    if (data.next_cursor) return t('More than {n} messages', { n: formatNumber(shown, lang) });
    return t('{count, plural, one {# message} other {# messages}}', { count: shown });
  };
  return (
    <>
      <PageHeader title={t('Monitoring')} />
      <form class="search card" role="search" onSubmit={search} noValidate>
        <label for="message-search">{t('Search by phone number, email or message ID')}</label>
        <div class="search-row">
          <input id="message-search" name="q" type="search" value={text} maxLength={254} autoComplete="off"
            placeholder={t('e.g. 0812 3456 7890 or name@example.com')} aria-invalid={badSearch} aria-describedby={badSearch ? 'message-search-error' : undefined}
            onInput={(e) => setText((e.target as HTMLInputElement).value)} />
          <button type="submit" class="btn btn-primary">{t('Search')}</button>
          {q && (
            <button type="button" class="btn btn-secondary" onClick={() => { setSearchError(false); setFilters({ q: '' }); }}>
              {t('Clear search')}
            </button>
          )}
        </div>
        {badSearch && (
          <p id="message-search-error" class="error-text" data-testid="search-error">
            {t('Enter a phone number (0812…, +62 812…), an email address or a message ID.')}
          </p>
        )}
      </form>
      <div class="filters card">
        <Select
          label={t('Channel')}
          name="channel"
          value={channel}
          options={[{ value: '' as const, label: t('All channels') }, ...appChannels.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))]}
          onChange={(c) => setFilters({ channel: c, status: c && status && !STATUS_WORDS[c].includes(status) ? '' : status })}
        />
        <Select label={t('Status')} name="status" value={status} options={[{ value: '' as const, label: t('All statuses') }, ...words.map((w) => ({ value: w, label: w }))]} onChange={(s) => setFilters({ status: s })} />
        <DateRangePicker value={range} onChange={(r) => setFilters({ range: r })} zone={zone} />
        {broadcast && (
          <div class="chips filter-chips" data-testid="broadcast-chip">
            <span class="chip chip-on">
              {t('Broadcast: {name}', { name: names[broadcast] || '…' })}
              <button type="button" class="chip-remove" aria-label={t('Remove the broadcast filter')} title={t('Remove the broadcast filter')} onClick={() => setFilters({ broadcast: '' })}>
                <Icon name="close" size={16} />
              </button>
            </span>
          </div>
        )}
      </div>
      <Card title={q ? t('Messages to {recipient}', { recipient: q }) : t('Messages')}>
        {refused ? null : (
          <WhenLoaded loaded={loaded} data={loaded.data}>
            {(data) => (
              <>
                <p class="muted small" data-testid="message-count" aria-live="polite">
                  {count(data)}
                  {zone && <> · {t('Times in {zone}', { zone })}</>}
                </p>
                <Table testid="messages" label={t('Messages')} rows={data.items} rowKey={(m) => m.message_id} onRowClick={(m) => navigate('/monitoring/' + m.message_id + qs)} busy={loaded.loading}
                  empty={{ message: q ? t('No messages to this recipient in this range.') : t('No messages match these filters.') }}
                  columns={[
                    {
                      label: t('Message ID'),
                      class: 'mono',
                      cell: (m) => (
                        <a href={`#/monitoring/${m.message_id}${qs}`} onClick={(e) => e.stopPropagation()}>
                          {m.message_id}
                        </a>
                      ),
                    },
                    ...messageColumns(t),
                    ...(data.items.some((m) => m.broadcast_id)
                      ? [{ label: t('Broadcast'), cell: (m: MessageItem) => m.broadcast_id && <BroadcastLink id={m.broadcast_id} name={names[m.broadcast_id]} /> }]
                      : []),
                    {
                      label: t('Time'),
                      class: 'nowrap',
                      cell: (m) => formatTime(m.created_at, lang, zone),
                      sort: {
                        order,
                        onToggle: () => setFilters({ order: order === 'desc' ? 'asc' : 'desc' }),
                        title: t('Sort by time'),
                        orderLabel: order === 'desc' ? t('Newest first') : t('Oldest first'),
                        testid: 'sort-time',
                      },
                    },
                  ]}
                />
                <nav class="pager" aria-label={t('Pages')}>
                  <button type="button" class="btn btn-secondary btn-small" disabled={page === 1 || loaded.loading} onClick={() => setCursors(cursors.slice(0, -1))}>
                    {t('Previous page')}
                  </button>
                  <span data-testid="page-number">{t('Page {n}', { n: page })}</span>
                  <button type="button" class="btn btn-secondary btn-small" disabled={!data.next_cursor || loaded.loading} onClick={() => data.next_cursor && setCursors([...cursors, data.next_cursor])}>
                    {t('Next page')}
                  </button>
                </nav>
              </>
            )}
          </WhenLoaded>
        )}
      </Card>
      {openId && <MessageDialog applicationId={app.application_id} messageId={openId} zone={zone} onClose={() => navigate('/monitoring' + qs)} />}
    </>
  );
}

// Broadcast names by application and id: a page of messages names a few broadcasts, each asked for once.
const nameCache = new Map<string, Promise<string>>();

function useBroadcastNames(applicationId: string | undefined, ids: string[]): Record<string, string> {
  const wanted = [...new Set(ids.filter(Boolean))];
  const [names, setNames] = useState<Record<string, string>>({});
  useEffect(() => {
    if (!applicationId) return;
    let live = true;
    for (const id of wanted) {
      const key = applicationId + '|' + id;
      if (!nameCache.has(key)) {
        nameCache.set(key, get<Broadcast>(broadcastsPath(applicationId, id)).then((b) => b.name, () => {
          nameCache.delete(key); // deleted or not reachable now: ask again another time
          return '';
        }));
      }
      nameCache.get(key)!.then((name) => live && name && setNames((n) => (n[id] === name ? n : { ...n, [id]: name })));
    }
    return () => { live = false; };
  }, [applicationId, wanted.join(',')]);
  return names;
}

function BroadcastLink({ id, name }: { id: string; name?: string }) {
  const t = useT();
  return (
    <a href={`#/broadcasts/${id}`} onClick={(e) => e.stopPropagation()} data-testid="message-broadcast">
      {name || t('Open the broadcast')}
    </a>
  );
}

/** An email's stored HTML as the text a reader sees (DOMParser runs no script and loads nothing). */
function htmlText(html: string): string {
  const doc = new DOMParser().parseFromString(html, 'text/html');
  return (doc.body.textContent || '').replace(/\s+\n/g, '\n').trim();
}

function MessageDialog({ applicationId, messageId, zone, onClose }: { applicationId: string; messageId: string; zone?: string; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<MessageDetail>(`${appPath(applicationId)}/messages/${encodeURIComponent(messageId)}`, undefined, signal), [messageId]);
  const missing = loaded.error instanceof ApiError && loaded.error.status === 404;
  const names = useBroadcastNames(applicationId, [loaded.data?.broadcast_id || '']);
  return (
    <Dialog open title={t('Status history')} onClose={onClose} wide>
      {missing ? (
        <p data-testid="message-missing">{t('No message with this ID in this application.')}</p>
      ) : (
        <WhenLoaded loaded={loaded} data={loaded.data}>
          {(m) => {
            const failedAt = [...m.history].reverse().find((h) => h.status === m.status);
            const body = m.body && (m.channel === 'email' ? htmlText(m.body) : m.body);
            return (
              <div data-testid="message-detail">
                <dl class="facts">
                  <Fact label={t('Message ID')}>
                    <code>{m.message_id}</code>
                  </Fact>
                  <Fact label={t('Channel')}>{CHANNEL_LABEL[m.channel]}</Fact>
                  <Fact label={t('Target')}>{m.target}</Fact>
                  <Fact label={t('Status')}>
                    <StatusBadge status={m.status} channel={m.channel} />
                  </Fact>
                  {outcome(m.status) === 'failed' && (
                    <Fact label={t('Why it failed')} testid="failure-reason" class="prose">
                      {t(failureReason(m.channel, failedAt?.provider_status))}
                    </Fact>
                  )}
                  {m.subject && <Fact label={t('Subject')}>{m.subject}</Fact>}
                  {m.broadcast_id && (
                    <Fact label={t('Broadcast')}>
                      <BroadcastLink id={m.broadcast_id} name={names[m.broadcast_id]} />
                    </Fact>
                  )}
                </dl>
                {body && (
                  <section class="message-body" aria-label={t('Message text')}>
                    <h3>{t('Message text')}</h3>
                    <p data-testid="message-body">{body}</p>
                    {m.body_masked && <p class="muted small">{t('One-time codes are hidden.')}</p>}
                  </section>
                )}
                <ol class="timeline" data-testid="history">
                  {m.history.map((h, i) => (
                    <li key={i}>
                      <StatusBadge status={h.status} channel={m.channel} />
                      <span class="nowrap">{formatTime(h.at, lang, zone)}</span>
                      {outcome(h.status) === 'failed' && <span class="muted small">{t(failureReason(m.channel, h.provider_status))}</span>}
                    </li>
                  ))}
                </ol>
                <Callbacks applicationId={applicationId} deliveries={m.callbacks} zone={zone} onReplayed={loaded.reload} />
              </div>
            );
          }}
        </WhenLoaded>
      )}
    </Dialog>
  );
}

const STATE_BADGE: Record<Delivery['state'], string> = { pending: 'Submitted', delivered: 'Delivered', failed: 'Failed', canceled: 'Failed' };

function Callbacks({ applicationId, deliveries, zone, onReplayed }: { applicationId: string; deliveries: Delivery[]; zone?: string; onReplayed: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const [busy, setBusy] = useState('');
  const [error, setError] = useState('');
  const replay = async (id: string) => {
    setBusy(id);
    setError('');
    try {
      await post(`${appPath(applicationId)}/callbacks/${encodeURIComponent(id)}/replay`, {});
      onReplayed();
    } catch (err) {
      setError(err instanceof Error ? err.message : String(err));
    } finally {
      setBusy('');
    }
  };
  return (
    <section class="callbacks" data-testid="callbacks" aria-labelledby="callbacks-title">
      <h3 id="callbacks-title">{t('Status callbacks')}</h3>
      {error && <p class="error-text">{error}</p>}
      {!deliveries.length ? (
        <p class="muted small">{t('No callbacks: this application has no callback URL, or none was due yet.')}</p>
      ) : (
        <ul class="list">
          {deliveries.map((d) => (
            <li key={d.delivery_id} data-testid="delivery">
              <div class="row-between">
                <span>
                  #{d.sequence} <StatusBadge status={d.status} /> <StatusBadge status={STATE_BADGE[d.state]} label={t(d.state)} />
                </span>
                {d.state !== 'pending' && (
                  <button type="button" class="btn btn-secondary btn-small" disabled={busy === d.delivery_id} onClick={() => replay(d.delivery_id)}>
                    {t('Replay')}
                  </button>
                )}
              </div>
              <div class="muted small mono">{d.delivery_id}</div>
              {d.next_attempt_at && (
                <div class="muted small">
                  {t('Next attempt')}: {formatTime(d.next_attempt_at, lang, zone)}
                </div>
              )}
              <Table testid="attempts" label={t('Attempts')} compact rows={d.attempts} rowKey={(_a, i) => i}
                columns={[
                  { label: t('Time'), cell: (a) => formatTime(a.at, lang, zone) },
                  {
                    label: t('HTTP status'),
                    cell: (a) => (
                      <>
                        {a.http_status ?? '—'}
                        {a.error ? <span class="muted small"> {a.error}</span> : null}
                      </>
                    ),
                  },
                  { label: t('Latency'), cell: (a) => <>{a.latency_ms} ms</> },
                ]}
              />
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
