// Usage: each channel's quota left and its low-quota alert, messages and refunds per day, and the
// operator's top-ups (GET /applications/{id}/usage; the alert is PUT .../usage/alert).
import { useEffect, useRef, useState } from 'preact/hooks';
import { appPath, get, put } from '../api/client';
import type { Usage as UsageData, UsageChannel } from '../api/types';
import { CHANNEL_LABEL } from '../channels';
import { drawDailyChart } from '../chart';
import { formatDate, formatNumber, formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Alert, Card, DateRangePicker, PageHeader, Select, Table, TextInput, WhenLoaded, presetRange, useLoad, useSubmit, type DateRange } from '../ui';
import { NoApplication } from './common';

const COLORS: Record<string, string> = { whatsapp: '#15803d', sms: '#2563eb', sms_otp: '#7c3aed', ivr: '#d97706', email: '#0e7490' };
const MAX_ALERT = 100_000_000;

export function Usage() {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  // Days are the application's, as on the Overview and Monitoring: "Yesterday" is yesterday in its zone.
  const [range, setRange] = useState<DateRange>(() => presetRange('30', undefined, app?.timezone));
  const loaded = useLoad<UsageData>(
    app ? (signal) => get<UsageData>(appPath(app.application_id) + '/usage', { from: range.from, to: range.to }, signal) : null,
    [app?.application_id, range.from, range.to],
  );
  if (!app) return <NoApplication title={t('Usage')} />;
  return (
    <>
      <PageHeader title={t('Usage')} />
      <WhenLoaded loaded={loaded} data={loaded.data}>
        {(data) => (
          <div class={'usage' + (loaded.loading ? ' is-busy' : '')} aria-busy={loaded.loading}>
            {data.channels.filter((c) => c.low).map((c) => (
              <Alert kind="warning" key={c.channel}>
                <span data-testid={`low-${c.channel}`}>
                  {t('{channel} quota is low: {left} units left (alert at {at}). Ask your provider for a top-up.', {
                    channel: CHANNEL_LABEL[c.channel],
                    left: formatNumber(c.quota_remaining, lang),
                    at: formatNumber(c.alert_at ?? 0, lang),
                  })}
                </span>
              </Alert>
            ))}
            <div class="usage-channels">
              {data.channels.map((c) => (
                <ChannelCard key={c.channel} applicationId={app.application_id} channel={c} toppedUp={data.top_ups.some((u) => u.channel === c.channel)} onSaved={(fresh) => loaded.setData(fresh)} />
              ))}
            </div>
            <div class="filters card">
              <DateRangePicker value={range} onChange={setRange} zone={app.timezone} />
            </div>
            <Card title={t('Messages per day')}>
              <UsageChart data={data} />
            </Card>
            <Card title={t('Top-ups')}>
              <Table testid="top-ups" label={t('Top-ups')} rows={data.top_ups} rowKey={(u) => u.top_up_id}
                empty={{ message: t('No top-ups yet. Your provider adds quota to a channel when you buy more.') }}
                columns={[
                  { label: t('Time'), cell: (u) => <TimeCell at={u.at} /> },
                  { label: t('Channel'), cell: (u) => CHANNEL_LABEL[u.channel] },
                  { label: t('Units added'), class: 'num', cell: (u) => <NumberCell n={u.amount} /> },
                ]}
              />
            </Card>
          </div>
        )}
      </WhenLoaded>
    </>
  );
}

function TimeCell({ at }: { at: string }) {
  const { lang } = useLang();
  return <>{formatTime(at, lang)}</>;
}
function NumberCell({ n }: { n: number }) {
  const { lang } = useLang();
  return <>{formatNumber(n, lang)}</>;
}

type AlertKind = 'percent' | 'units';

function ChannelCard({ applicationId, channel: c, toppedUp, onSaved }: { applicationId: string; channel: UsageChannel; toppedUp: boolean; onSaved: (fresh: UsageData) => void }) {
  const t = useT();
  const { lang } = useLang();
  // An owner thinks "tell me at 10% left": the percentage is offered first; units stay for exact numbers.
  const kindOf = (ch: UsageChannel): AlertKind => (ch.alert_at !== null && ch.alert_percent === null ? 'units' : 'percent');
  const valueOf = (ch: UsageChannel, k: AlertKind) => (k === 'percent' ? (ch.alert_percent === null ? '' : String(ch.alert_percent)) : ch.alert_at === null ? '' : String(ch.alert_at));
  const [kind, setKind] = useState<AlertKind>(() => kindOf(c));
  const [value, setValue] = useState(() => valueOf(c, kindOf(c)));
  const [error, setError] = useState('');
  const { general, busy, run } = useSubmit();
  const viewer = useSession().app?.role === 'viewer'; // the alert is a setting: a viewer reads it
  useEffect(() => {
    setKind(kindOf(c));
    setValue(valueOf(c, kindOf(c)));
  }, [c.alert_at, c.alert_percent]);
  const save = (body: { alert_at: number | null } | { alert_percent: number }) =>
    run(async () => onSaved(await put<UsageData>(appPath(applicationId) + '/usage/alert', { channel: c.channel, ...body })));
  const submit = (e: Event) => {
    e.preventDefault();
    const text = value.trim();
    // Checked here as the server checks it: a percentage from 1 to 100, or whole units from 0 to 100,000,000.
    if (kind === 'percent') {
      if (!/^\d{1,3}$/.test(text) || Number(text) < 1 || Number(text) > 100) {
        setError(t('Enter a whole percentage, from 1 to 100.'));
        return;
      }
      setError('');
      save({ alert_percent: Number(text) });
      return;
    }
    if (!/^\d{1,9}$/.test(text) || Number(text) > MAX_ALERT) {
      setError(t('Enter a whole number of units, from 0 to {max}.', { max: formatNumber(MAX_ALERT, lang) }));
      return;
    }
    setError('');
    save({ alert_at: Number(text) });
  };
  const base = formatNumber(c.percent_base, lang);
  const setAt = c.alert_at === null ? '' : formatNumber(c.alert_at, lang);
  const current =
    c.alert_at === null
      ? t('No alert set.')
      : c.alert_percent !== null
        ? toppedUp
          ? t('Alert at {percent}% of the last top-up ({base} units): {at} units left.', { percent: c.alert_percent, base, at: setAt })
          : t('Alert at {percent}% of the starting quota ({base} units): {at} units left.', { percent: c.alert_percent, base, at: setAt })
        : t('Alert at {at} units left.', { at: setAt });
  return (
    <section class={'card usage-channel' + (c.low ? ' is-low' : '')} data-testid={`usage-${c.channel}`} aria-labelledby={`usage-${c.channel}-title`}>
      <h2 class="card-title" id={`usage-${c.channel}-title`}>{CHANNEL_LABEL[c.channel]}</h2>
      <div class="kpi-label">{t('Quota left')}</div>
      <div class="kpi-value" data-testid={`left-${c.channel}`}>{formatNumber(c.quota_remaining, lang)}</div>
      <div class="kpi-note">
        {t('{messages} messages, {refunded} units refunded in this range', { messages: formatNumber(c.messages, lang), refunded: formatNumber(c.refunded, lang) })}
      </div>
      {viewer ? (
        <p class="kpi-note">{current}</p>
      ) : (
      <form class="usage-alert" onSubmit={submit} noValidate>
        {general && <Alert>{general}</Alert>}
        <Select label={t('Warn me by')} name={`alert-kind-${c.channel}`} value={kind}
          options={[{ value: 'percent', label: toppedUp ? t('% of the last top-up') : t('% of the starting quota') }, { value: 'units', label: t('Units left') }]}
          onChange={(k) => (setKind(k), setValue(valueOf(c, k)), setError(''))} />
        <TextInput label={kind === 'percent' ? t('Warn me at (% left)') : t('Warn me at (units left)')} name={`alert-${c.channel}`} value={value} onInput={setValue} error={error} type="text"
          hint={c.alert_at === null ? t('No alert set.') : `${current} ${t('A callback is sent once each time the quota falls to it.')}`} />
        <div class="form-actions start">
          <button type="submit" class="btn btn-secondary btn-small" disabled={busy}>{t('Save alert')}</button>
          {c.alert_at !== null && (
            <button type="button" class="btn btn-ghost btn-small" disabled={busy} onClick={() => save({ alert_at: null })}>{t('Remove alert')}</button>
          )}
        </div>
      </form>
      )}
    </section>
  );
}

function UsageChart({ data }: { data: UsageData }) {
  const t = useT();
  const { lang } = useLang();
  const canvas = useRef<HTMLCanvasElement>(null);
  const days = data.channels[0]?.series.map((d) => d.date) || [];
  const total = data.channels.reduce((sum, c) => sum + c.messages, 0);
  const summary = t('Messages per day') + `: ${days.length} ${lang === 'id' ? 'hari' : 'days'}, ${formatNumber(total, lang)}`;
  useEffect(() => {
    if (!canvas.current) return;
    const chart = drawDailyChart(canvas.current, {
      labels: days.map((d) => formatDate(d, lang)),
      datasets: data.channels.map((c) => ({ label: CHANNEL_LABEL[c.channel], data: c.series.map((d) => d.messages), color: COLORS[c.channel] })),
    });
    return () => chart.destroy();
  }, [data, lang]);
  return (
    <div class="chart-box">
      <canvas ref={canvas} role="img" aria-label={summary} data-testid="usage-chart" data-points={days.length} />
    </div>
  );
}
