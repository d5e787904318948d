import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { appPath, get } from '../api/client';
import type { Channel, MessageItem, Overview as OverviewData, OverviewChannel } from '../api/types';
import { CHANNEL_LABEL, STATUS_WORDS } from '../channels';
import { formatDate, formatNumber, formatPercent, formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Card, DateRangePicker, PageHeader, Select, StatusBadge, Table, WhenLoaded, presetRange, useLoad, type DateRange } from '../ui';
import { NoApplication, messageColumns } from './common';
import { drawDailyChart } from '../chart';
import { FirstSteps } from './FirstSteps';

/** A channel's figures as the chart draws them: its daily series has a pending count too. */
type Totals = Pick<OverviewChannel, 'total' | 'success' | 'failed' | 'pending' | 'success_rate' | 'failed_rate'> & {
  series: { date: string; success: number; failed: number; pending: number }[];
};

/** One channel's figures, or all channels added up (rates recomputed, two decimals as the API). */
export function totals(data: OverviewData): Totals {
  const byDate = new Map<string, { date: string; success: number; failed: number; pending: number }>();
  let total = 0,
    success = 0,
    failed = 0;
  for (const c of data.channels) {
    total += c.total;
    success += c.success;
    failed += c.failed;
    for (const p of c.series) {
      const point = byDate.get(p.date) || { date: p.date, success: 0, failed: 0, pending: 0 };
      point.success += p.success;
      point.failed += p.failed;
      point.pending += p.total - p.success - p.failed;
      byDate.set(p.date, point);
    }
  }
  const rate = (n: number) => (total ? Math.round((n / total) * 10000) / 10000 : 0);
  return { total, success, failed, pending: total - success - failed, success_rate: rate(success), failed_rate: rate(failed), series: [...byDate.values()] };
}

export function Overview() {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  const [channel, setChannel] = useState<'' | Channel>('');
  // Days are the application's (its counters are kept per local day): a UTC laptop must not lose 00:00-07:00 WIB.
  const [range, setRange] = useState<DateRange>(() => presetRange('7', undefined, app?.timezone));
  useEffect(() => setChannel(''), [app?.application_id]);
  const loaded = useLoad<OverviewData>(
    app
      ? async (signal) => {
          const data = await get<OverviewData>(appPath(app.application_id) + '/overview', { channel, from: range.from, to: range.to }, signal);
          performance.mark('kirim:overview:data');
          return data;
        }
      : null,
    [app?.application_id, channel, range.from, range.to],
  );
  if (!app)
    return (
      <>
        <NoApplication title={t('Overview')} />
        <FirstSteps />
      </>
    );
  const channelOptions = [{ value: '' as const, label: t('All channels') }, ...app.channels.map((c) => ({ value: c.channel, label: CHANNEL_LABEL[c.channel] }))];
  return (
    <>
      <PageHeader title={t('Overview')} />
      <FirstSteps sent={loaded.data && (loaded.data.latest.length > 0 || totals(loaded.data).total > 0)} />
      <div class="filters card">
        <Select label={t('Channel')} name="channel" value={channel} options={channelOptions} onChange={setChannel} />
        <DateRangePicker value={range} onChange={setRange} zone={app.timezone} />
      </div>
      <WhenLoaded loaded={loaded} data={loaded.data}>
        {(data) => <OverviewBody data={data} lang={lang} busy={loaded.loading} />}
      </WhenLoaded>
    </>
  );
}

function OverviewBody({ data, lang, busy }: { data: OverviewData; lang: 'en' | 'id'; busy: boolean }) {
  const t = useT();
  const sum = useMemo(() => totals(data), [data]);
  return (
    <div class={'overview' + (busy ? ' is-busy' : '')} aria-busy={busy}>
      <div class="kpis">
        <Kpi label={t('Total transactions')} value={formatNumber(sum.total, lang)} testid="kpi-total" />
        <Kpi label={t('Success Rate')} value={formatPercent(sum.success_rate, lang)} note={`${formatNumber(sum.success, lang)} ${t('Success').toLowerCase()}`} tone="success" testid="kpi-success" />
        <Kpi label={t('Failed Rate')} value={formatPercent(sum.failed_rate, lang)} note={`${formatNumber(sum.failed, lang)} ${t('Failed').toLowerCase()}`} tone="failed" testid="kpi-failed" />
      </div>
      <Card title={t('Today by hour')}>
        <HourBars hours={data.today_by_hour} lang={lang} />
      </Card>
      <Card title={t('Daily messages by status')}>
        <DailyChart series={sum.series} lang={lang} />
      </Card>
      <Card title={t('Messages by status')}>
        <StatusBreakdown channels={data.channels} lang={lang} />
      </Card>
      <Card title={t('Latest messages')}>
        <LatestTable items={data.latest} />
      </Card>
    </div>
  );
}

/** Each channel's messages by its own status words (the guide's, in its order), zeros included. */
function StatusBreakdown({ channels, lang }: { channels: OverviewChannel[]; lang: 'en' | 'id' }) {
  return (
    <dl class="breakdown" data-testid="status-breakdown">
      {channels.map((c) => (
        <div key={c.channel} data-channel={c.channel}>
          <dt>{CHANNEL_LABEL[c.channel]}</dt>
          <dd>
            {STATUS_WORDS[c.channel].map((word) => (
              <span key={word} data-status={word}>
                <StatusBadge status={word} channel={c.channel} /> {formatNumber(c.by_status[word] || 0, lang)}
              </span>
            ))}
          </dd>
        </div>
      ))}
    </dl>
  );
}

function Kpi({ label, value, note, tone, testid }: { label: string; value: string; note?: string; tone?: string; testid: string }) {
  return (
    <div class={'kpi card' + (tone ? ' kpi-' + tone : '')} data-testid={testid}>
      <div class="kpi-label">{label}</div>
      <div class="kpi-value">{value}</div>
      {note && <div class="kpi-note">{note}</div>}
    </div>
  );
}

/** Today's messages per hour of the application's zone (the API regroups its UTC hours): 24 bars, the
 * figures in words for a screen reader. Plain elements, no canvas: they stay sharp and narrow on a phone. */
function HourBars({ hours, lang }: { hours: number[]; lang: 'en' | 'id' }) {
  const t = useT();
  const total = hours.reduce((a, n) => a + n, 0);
  const top = Math.max(...hours, 0);
  const hh = (h: number) => String(h).padStart(2, '0') + (lang === 'id' ? '.00' : ':00');
  const busiest = hours.indexOf(top);
  const summary = total
    ? t('{count, plural, one {# message} other {# messages}} today, most at {hour}', { count: total, hour: hh(busiest) })
    : t('No messages yet today.');
  return (
    <figure class="hour-bars" data-testid="today-by-hour" data-total={total}>
      <div class="hour-bars-row" role="img" aria-label={`${t('Today by hour')}: ${summary}`}>
        {hours.map((n, h) => (
          <div key={h} class="hour-bar" title={`${hh(h)} · ${formatNumber(n, lang)}`} data-hour={h} data-count={n}>
            <span style={{ height: n ? `${Math.max(2, Math.round((n / top) * 100))}%` : '0' }} />
          </div>
        ))}
      </div>
      <div class="hour-bars-axis" aria-hidden="true">
        {[0, 6, 12, 18].map((h) => (
          <span key={h} style={{ left: `${(h / 24) * 100}%` }}>{hh(h)}</span>
        ))}
      </div>
      <figcaption class="muted small">{summary}</figcaption>
    </figure>
  );
}

function DailyChart({ series, lang }: { series: Totals['series']; lang: 'en' | 'id' }) {
  const t = useT();
  const canvas = useRef<HTMLCanvasElement>(null);
  const summary = `${t('Daily messages by status')}: ${series.length} ${lang === 'id' ? 'hari' : 'days'}, ${t('Success')} ${series.reduce((a, p) => a + p.success, 0)}, ${t('Failed')} ${series.reduce((a, p) => a + p.failed, 0)}, ${t('Pending')} ${series.reduce((a, p) => a + p.pending, 0)}`;
  useEffect(() => {
    if (!canvas.current) return;
    const chart = drawDailyChart(canvas.current, {
      labels: series.map((p) => formatDate(p.date, lang)),
      datasets: [
        { label: t('Success'), data: series.map((p) => p.success), color: '#15803d' },
        { label: t('Failed'), data: series.map((p) => p.failed), color: '#dc2626' },
        { label: t('Pending'), data: series.map((p) => p.pending), color: '#d97706' },
      ],
    });
    performance.mark('kirim:overview:rendered');
    try {
      performance.measure('kirim:overview:render', 'kirim:overview:data', 'kirim:overview:rendered');
    } catch {
      /* no data mark (a re-render from a language switch) */
    }
    return () => chart.destroy();
  }, [series, lang]);
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={summary} data-testid="overview-chart" data-points={series.length} />
    </div>
  );
}

export function LatestTable({ items }: { items: MessageItem[] }) {
  const t = useT();
  const { lang } = useLang();
  const zone = useSession().app?.timezone;
  return (
    <Table testid="latest-messages" label={t('Latest messages')} rows={items} rowKey={(m) => m.message_id}
      empty={{ message: t('No messages in this range yet.') }}
      columns={[
        { label: t('Message ID'), class: 'mono', cell: (m) => <a href={`#/monitoring/${encodeURIComponent(m.message_id)}`}>{m.message_id}</a> },
        ...messageColumns(t),
        { label: t('Time'), cell: (m) => formatTime(m.created_at, lang, zone) },
      ]}
    />
  );
}
