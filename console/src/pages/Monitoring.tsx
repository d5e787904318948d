import { useEffect, useState } from 'preact/hooks';
import { appPath, get, post } from '../api/client';
import type { Channel, Delivery, MessageDetail, MessagePage, StatusWord } from '../api/types';
import { CHANNEL_LABEL, STATUS_WORDS, allStatusWords } from '../channels';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { navigate, type Route } from '../router';
import { useSession } from '../state';
import { Card, DateRangePicker, Dialog, Fact, PageHeader, Select, StatusBadge, Table, WhenLoaded, presetRange, useLoad, type DateRange } from '../ui';
import { NoApplication, messageColumns } from './common';

const PAGE_SIZE = 20;

export function Monitoring({ route }: { route: Route }) {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  const [channel, setChannel] = useState<'' | Channel>('');
  const [status, setStatus] = useState<'' | StatusWord>('');
  const [range, setRange] = useState<DateRange>(() => presetRange('7'));
  const [order, setOrder] = useState<'desc' | 'asc'>('desc');
  const openId = route.path[1];
  useEffect(() => {
    setChannel('');
    setStatus('');
  }, [app?.application_id]);
  // cursors[i] opens page i+1 (page 1 needs none); another filter starts again at page 1
  const filterKey = [app?.application_id, channel, status, range.from, range.to, order].join('|');
  const [paging, setPaging] = useState<{ key: string; cursors: (string | null)[] }>({ key: filterKey, cursors: [null] });
  const cursors = paging.key === filterKey ? paging.cursors : [null];
  const setCursors = (next: (string | null)[]) => setPaging({ key: filterKey, cursors: next });
  const page = cursors.length;
  const loaded = useLoad<MessagePage>(
    app
      ? (signal) =>
          get<MessagePage>(
            appPath(app.application_id) + '/messages',
            { channel, status, from: range.from, to: range.to, order, limit: PAGE_SIZE, cursor: cursors[cursors.length - 1] },
            signal,
          )
      : null,
    [filterKey, cursors.length],
  );
  if (!app) return <NoApplication title={t('Monitoring')} />;
  const appChannels = app.channels.map((c) => c.channel);
  const words = channel ? STATUS_WORDS[channel] : allStatusWords(appChannels);
  return (
    <>
      <PageHeader title={t('Monitoring')} />
      <div class="filters card">
        <Select
          label={t('Channel')}
          name="channel"
          value={channel}
          options={[{ value: '' as const, label: t('All channels') }, ...appChannels.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))]}
          onChange={(c) => {
            setChannel(c);
            if (c && status && !STATUS_WORDS[c].includes(status)) setStatus('');
          }}
        />
        <Select label={t('Status')} name="status" value={status} options={[{ value: '', label: t('All statuses') }, ...words.map((w) => ({ value: w, label: w }))]} onChange={setStatus} />
        <DateRangePicker value={range} onChange={setRange} />
      </div>
      <Card title={t('Messages')}>
        <WhenLoaded loaded={loaded} data={loaded.data?.items}>
          {(items) => (
            <>
              <Table testid="messages" label={t('Messages')} rows={items} rowKey={(m) => m.message_id} onRowClick={(m) => navigate('/monitoring/' + m.message_id)} busy={loaded.loading}
                empty={{ message: t('No messages match these filters.') }}
                columns={[
                  {
                    label: t('Message ID'),
                    class: 'mono',
                    cell: (m) => (
                      <a href={`#/monitoring/${m.message_id}`} onClick={(e) => e.stopPropagation()}>
                        {m.message_id}
                      </a>
                    ),
                  },
                  ...messageColumns(t),
                  {
                    label: t('Time'),
                    class: 'nowrap',
                    cell: (m) => formatTime(m.created_at, lang),
                    sort: {
                      order,
                      onToggle: () => setOrder(order === 'desc' ? 'asc' : 'desc'),
                      title: t('Sort by time'),
                      orderLabel: order === 'desc' ? t('Newest first') : t('Oldest first'),
                      testid: 'sort-time',
                    },
                  },
                ]}
              />
              <nav class="pager" aria-label="Pages">
                <button type="button" class="btn btn-secondary btn-small" disabled={page === 1 || loaded.loading} onClick={() => setCursors(cursors.slice(0, -1))}>
                  {t('Previous page')}
                </button>
                <span data-testid="page-number">{t('Page {n}', { n: page })}</span>
                <button type="button" class="btn btn-secondary btn-small" disabled={!loaded.data?.next_cursor || loaded.loading} onClick={() => loaded.data?.next_cursor && setCursors([...cursors, loaded.data.next_cursor])}>
                  {t('Next page')}
                </button>
              </nav>
            </>
          )}
        </WhenLoaded>
      </Card>
      {openId && <MessageDialog applicationId={app.application_id} messageId={openId} onClose={() => navigate('/monitoring')} />}
    </>
  );
}

function MessageDialog({ applicationId, messageId, onClose }: { applicationId: string; messageId: string; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<MessageDetail>(`${appPath(applicationId)}/messages/${encodeURIComponent(messageId)}`, undefined, signal), [messageId]);
  return (
    <Dialog open title={t('Status history')} onClose={onClose} wide>
      <WhenLoaded loaded={loaded} data={loaded.data}>
        {(m) => (
          <div data-testid="message-detail">
            <dl class="facts">
              <Fact label={t('Message ID')}>
                <code>{m.message_id}</code>
              </Fact>
              <Fact label={t('Channel')}>{CHANNEL_LABEL[m.channel]}</Fact>
              <Fact label={t('Target')}>{m.target}</Fact>
              <Fact label={t('Status')}>
                <StatusBadge status={m.status} />
              </Fact>
            </dl>
            <ol class="timeline" data-testid="history">
              {m.history.map((h, i) => (
                <li key={i}>
                  <StatusBadge status={h.status} />
                  <span class="nowrap">{formatTime(h.at, lang)}</span>
                  {h.provider_status && (
                    <span class="muted small">
                      {t('Provider status')}: <code>{h.provider_status}</code>
                    </span>
                  )}
                </li>
              ))}
            </ol>
            <Callbacks applicationId={applicationId} deliveries={m.callbacks} onReplayed={loaded.reload} />
          </div>
        )}
      </WhenLoaded>
    </Dialog>
  );
}

const STATE_BADGE: Record<Delivery['state'], string> = { pending: 'Submitted', delivered: 'Delivered', failed: 'Failed', canceled: 'Failed' };

function Callbacks({ applicationId, deliveries, onReplayed }: { applicationId: string; deliveries: Delivery[]; onReplayed: () => void }) {
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
                  {t('Next attempt')}: {formatTime(d.next_attempt_at, lang)}
                </div>
              )}
              <Table testid="attempts" label={t('Attempts')} compact rows={d.attempts} rowKey={(_a, i) => i}
                columns={[
                  { label: t('Time'), cell: (a) => formatTime(a.at, lang) },
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
