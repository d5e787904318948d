import { useEffect, useState } from 'preact/hooks';
import { appPath, get, post } from '../api/client';
import type { Channel, DownloadLink, Report, ReportFormat, ReportList, ReportRequest, StatusWord } from '../api/types';
import { CHANNEL_LABEL, STATUS_WORDS } from '../channels';
import { daysAgo, formatNumber, formatTime, isoDay } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { DateField } from '../DateField';
import { Alert, Card, Dialog, Icon, PageHeader, Select, StatusBadge, Table, TextInput, WhenLoaded, errorText, useLoad, useSubmit } from '../ui';
import { NoApplication } from './common';

const POLL_MS = 1500;
const running = (r: Report) => r.status === 'Processing' || r.status === 'Preparing';

export function Reports() {
  const t = useT();
  const { lang } = useLang();
  const { app } = useSession();
  const loaded = useLoad(app ? (signal) => get<ReportList>(appPath(app.application_id) + '/reports', undefined, signal) : null, [app?.application_id]);
  const [creating, setCreating] = useState(false);
  const [error, setError] = useState('');
  const items = loaded.data?.items;
  const anyRunning = Boolean(items?.some(running));
  // Poll while a report runs: its status and progress bar move on their own.
  useEffect(() => {
    if (!anyRunning || !app) return;
    const timer = setTimeout(() => loaded.reload(), POLL_MS);
    return () => clearTimeout(timer);
  }, [items, loaded.error, anyRunning]); // a failed poll is followed by the next
  if (!app) return <NoApplication title={t('Generate Report')} />;

  const download = async (r: Report) => {
    setError('');
    try {
      const link = await get<DownloadLink>(`${appPath(app.application_id)}/reports/${r.report_id}/download`);
      // The file is served as an attachment (Content-Disposition), so the browser saves it and the
      // console stays where it is.
      window.location.assign(link.url);
    } catch (err) {
      setError(errorText(err, t));
    }
  };

  return (
    <>
      <PageHeader title={t('Generate Report')}>
        <button type="button" class="btn btn-primary" onClick={() => setCreating(true)}>
          <Icon name="plus" size={18} />
          {t('Generate New Report')}
        </button>
      </PageHeader>
      {error && <Alert>{error}</Alert>}
      <Card>
        <WhenLoaded loaded={loaded} data={items} keepOnError>
          {(items) => (
            <Table testid="reports" label={t('Reports')} rows={items} rowKey={(r) => r.report_id} rowAttrs={(r) => ({ 'data-report': r.name, 'data-status': r.status })}
              empty={{ icon: 'report', message: t('No reports yet.'), action: { label: t('Generate New Report'), onClick: () => setCreating(true) } }}
              columns={[
                {
                  label: t('Report name'),
                  cell: (r) => (
                    <>
                      <span class="strong">{r.name}</span>
                      <div class="muted small">
                        {r.format === 'xlsx' ? '.XLS' : r.format === 'csv.gz' ? '.CSV.GZ' : '.CSV'} · {formatTime(r.created_at, lang)}
                      </div>
                    </>
                  ),
                },
                { label: t('Channel'), cell: (r) => CHANNEL_LABEL[r.channel] },
                {
                  label: t('Date range'),
                  class: 'nowrap',
                  cell: (r) => (
                    <>
                      {r.from.slice(0, 10)} – {r.to.slice(0, 10)}
                    </>
                  ),
                },
                {
                  label: t('Status'),
                  cell: (r) => (
                    <>
                      <StatusBadge status={r.status} label={t(r.status)} />
                      {running(r) && <progress class="progress" max={100} value={r.progress} aria-label={`${t('Progress')} ${r.name}`} />}
                      {r.status === 'Failed' && r.error && <div class="rejection">{r.error}</div>}
                    </>
                  ),
                },
                {
                  label: t('Rows'),
                  cell: (r) => (
                    <>
                      {formatNumber(r.rows, lang)}
                      {running(r) && r.total > 0 && <span class="muted"> / {formatNumber(r.total, lang)}</span>}
                    </>
                  ),
                },
                {
                  label: t('Download'),
                  action: true,
                  cell: (r) =>
                    r.status === 'Done' &&
                    (r.expired ? (
                      <span class="muted">{t('Expired')}</span>
                    ) : (
                      <button type="button" class="btn btn-secondary btn-small" onClick={() => download(r)} aria-label={`${t('Download')} ${r.name}`}>
                        <Icon name="download" size={16} />
                        {t('Download')}
                      </button>
                    )),
                },
              ]}
            />
          )}
        </WhenLoaded>
      </Card>
      <NewReportDialog
        open={creating}
        channels={app.channels.map((c) => c.channel)}
        applicationId={app.application_id}
        onClose={() => setCreating(false)}
        onCreated={(report) => {
          setCreating(false);
          loaded.setData({ items: [report, ...(items || [])] });
        }}
      />
    </>
  );
}

function NewReportDialog({ open, channels, applicationId, onClose, onCreated }: { open: boolean; channels: Channel[]; applicationId: string; onClose: () => void; onCreated: (r: Report) => void }) {
  const t = useT();
  const [name, setName] = useState('');
  const [channel, setChannel] = useState<Channel>(channels[0]);
  const [statuses, setStatuses] = useState<StatusWord[]>([]);
  const [format, setFormat] = useState<ReportFormat>('xlsx');
  const zone = useSession().app?.timezone; // the report's days are the application's
  const [from, setFrom] = useState(daysAgo(29, zone));
  const [to, setTo] = useState(isoDay(new Date(), zone));
  const { errors, setErrors, general, busy, run, reset } = useSubmit();
  useEffect(() => {
    if (open) {
      setName('');
      setChannel(channels[0]);
      setStatuses([...STATUS_WORDS[channels[0]]]);
      reset();
    }
  }, [open]);
  const submit = (e: Event) => {
    e.preventDefault();
    if (!name.trim()) return setErrors({ name: t('Fill this in.') });
    if (!statuses.length) return setErrors({ statuses: t('Choose at least one status.') });
    const notADate = t('Enter the date as dd/mm/yyyy, e.g. {example}.', { example: '31/12/2026' });
    if (!from || !to) return setErrors({ ...(from ? {} : { from: notADate }), ...(to ? {} : { to: notADate }) });
    run(async () => onCreated(await post<Report>(`${appPath(applicationId)}/reports`, { name: name.trim(), channel, statuses, format, from, to } satisfies ReportRequest)));
  };
  return (
    <Dialog open={open} title={t('Generate New Report')} onClose={onClose}>
      <form class="stack" onSubmit={submit} noValidate>
        {general && <Alert>{general}</Alert>}
        <TextInput label={t('Report name')} name="report-name" value={name} onInput={setName} error={errors.name} required maxLength={100} />
        <Select
          label={t('Channel')}
          name="report-channel"
          value={channel}
          options={channels.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))}
          onChange={(c) => {
            setChannel(c);
            setStatuses([...STATUS_WORDS[c]]);
          }}
          error={errors.channel}
        />
        <fieldset class={'checks' + (errors.statuses ? ' has-error' : '')}>
          <legend>{t('Statuses')}</legend>
          {STATUS_WORDS[channel].map((w) => (
            <label key={w} class="check">
              <input type="checkbox" name="report-status" value={w} checked={statuses.includes(w)} onChange={(e) => setStatuses((e.target as HTMLInputElement).checked ? STATUS_WORDS[channel].filter((x) => x === w || statuses.includes(x)) : statuses.filter((x) => x !== w))} />
              {w}
            </label>
          ))}
          {errors.statuses && <p class="field-error">{errors.statuses}</p>}
        </fieldset>
        <fieldset class="radios">
          <legend>{t('Format')}</legend>
          <label class="radio-card">
            <input type="radio" name="report-format" checked={format === 'xlsx'} onChange={() => setFormat('xlsx')} />
            <span>.XLS</span>
          </label>
          <label class="radio-card">
            <input type="radio" name="report-format" checked={format === 'csv'} onChange={() => setFormat('csv')} />
            <span>.CSV</span>
          </label>
          <label class="radio-card">
            <input type="radio" name="report-format" checked={format === 'csv.gz'} onChange={() => setFormat('csv.gz')} />
            <span>.CSV.GZ</span>
          </label>
        </fieldset>
        <div class="two">
          <DateField label={t('From')} name="report-from" value={from} onChange={setFrom} error={errors.from} required />
          <DateField label={t('To')} name="report-to" value={to} onChange={setTo} error={errors.to} required />
        </div>
        <div class="form-actions">
          <button type="button" class="btn btn-secondary" onClick={onClose}>
            {t('Cancel')}
          </button>
          <button type="submit" class="btn btn-primary" disabled={busy}>
            {t('Done')}
          </button>
        </div>
      </form>
    </Dialog>
  );
}
