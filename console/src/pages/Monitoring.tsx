import { useEffect, useState } from 'preact/hooks';
import { appPath, get, post } from '../api/client';
import type { Channel, Delivery, MessageDetail, MessagePage, StatusWord } from '../api/types';
import { CHANNEL_LABEL, STATUS_WORDS, allStatusWords } from '../channels';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { navigate, type Route } from '../router';
import { useSession } from '../state';
import { Card, DateRangePicker, Dialog, Empty, ErrorState, Icon, Loading, PageHeader, Select, StatusBadge, presetRange, useLoad, type DateRange } from '../ui';
import { NoApplication } from './common';

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
  const items = loaded.data?.items;
  const sortLabel = order === 'desc' ? t('Newest first') : t('Oldest first');
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
        {loaded.error ? (
          <ErrorState error={loaded.error} onRetry={loaded.reload} />
        ) : !items ? (
          <Loading />
        ) : (
          <>
            {!items.length ? (
              <Empty>{t('No messages match these filters.')}</Empty>
            ) : (
              <div class="table-wrap">
                <table class="table table-stack table-click" data-testid="messages" aria-busy={loaded.loading}>
                  <thead>
                    <tr>
                      <th scope="col">{t('Message ID')}</th>
                      <th scope="col">{t('Channel')}</th>
                      <th scope="col">{t('Target')}</th>
                      <th scope="col">{t('Status')}</th>
                      <th scope="col" aria-sort={order === 'desc' ? 'descending' : 'ascending'}>
                        <button type="button" class="sort" onClick={() => setOrder(order === 'desc' ? 'asc' : 'desc')} title={t('Sort by time')} data-testid="sort-time">
                          {t('Time')}
                          <Icon name={order === 'desc' ? 'down' : 'up'} size={18} />
                          <span class="sr-only">({sortLabel})</span>
                        </button>
                      </th>
                    </tr>
                  </thead>
                  <tbody>
                    {items.map((m) => (
                      <tr key={m.message_id} onClick={() => navigate('/monitoring/' + m.message_id)}>
                        <td data-label={t('Message ID')} class="mono">
                          <a href={`#/monitoring/${m.message_id}`} onClick={(e) => e.stopPropagation()}>
                            {m.message_id}
                          </a>
                        </td>
                        <td data-label={t('Channel')}>{CHANNEL_LABEL[m.channel]}</td>
                        <td data-label={t('Target')}>{m.target}</td>
                        <td data-label={t('Status')}>
                          <StatusBadge status={m.status} />
                        </td>
                        <td data-label={t('Time')} class="nowrap">{formatTime(m.created_at, lang)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
            )}
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
      </Card>
      {openId && <MessageDialog applicationId={app.application_id} messageId={openId} onClose={() => navigate('/monitoring')} />}
    </>
  );
}

function MessageDialog({ applicationId, messageId, onClose }: { applicationId: string; messageId: string; onClose: () => void }) {
  const t = useT();
  const { lang } = useLang();
  const loaded = useLoad((signal) => get<MessageDetail>(`${appPath(applicationId)}/messages/${encodeURIComponent(messageId)}`, undefined, signal), [messageId]);
  const m = loaded.data;
  return (
    <Dialog open title={t('Status history')} onClose={onClose} wide>
      {loaded.error ? (
        <ErrorState error={loaded.error} onRetry={loaded.reload} />
      ) : !m ? (
        <Loading />
      ) : (
        <div data-testid="message-detail">
          <dl class="facts">
            <div>
              <dt>{t('Message ID')}</dt>
              <dd>
                <code>{m.message_id}</code>
              </dd>
            </div>
            <div>
              <dt>{t('Channel')}</dt>
              <dd>{CHANNEL_LABEL[m.channel]}</dd>
            </div>
            <div>
              <dt>{t('Target')}</dt>
              <dd>{m.target}</dd>
            </div>
            <div>
              <dt>{t('Status')}</dt>
              <dd>
                <StatusBadge status={m.status} />
              </dd>
            </div>
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
              {d.attempts.length > 0 && (
                <div class="table-wrap">
                  <table class="table table-compact" data-testid="attempts">
                    <thead>
                      <tr>
                        <th scope="col">{t('Time')}</th>
                        <th scope="col">{t('HTTP status')}</th>
                        <th scope="col">{t('Latency')}</th>
                      </tr>
                    </thead>
                    <tbody>
                      {d.attempts.map((a, i) => (
                        <tr key={i}>
                          <td>{formatTime(a.at, lang)}</td>
                          <td>{a.http_status ?? '—'}{a.error ? <span class="muted small"> {a.error}</span> : null}</td>
                          <td>{a.latency_ms} ms</td>
                        </tr>
                      ))}
                    </tbody>
                  </table>
                </div>
              )}
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
