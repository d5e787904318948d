// "Send a test message": Kirim's own short text to the owner (or a simulator test target) by SMS,
// SMS OTP or Email, through the normal send pipeline; its status is then read again until it settles.
import { useEffect, useState } from 'preact/hooks';
import { appPath, get, post } from '../api/client';
import type { Application, Channel, MessageDetail, TestMessage, TestMessageRequest } from '../api/types';
import { CHANNEL_LABEL, outcome } from '../channels';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Alert, Card, Icon, Select, StatusBadge, TextInput, useSubmit } from '../ui';

const TEST_CHANNELS: Channel[] = ['sms', 'sms_otp', 'email'];
const POLL_MS = 1500;
const MAX_POLLS = 40;

export function TestSend({ app }: { app: Application }) {
  const t = useT();
  const { lang } = useLang();
  const { me } = useSession();
  const channels = app.channels.map((c) => c.channel).filter((c) => TEST_CHANNELS.includes(c));
  const [channel, setChannel] = useState<Channel | ''>(channels[0] || '');
  const [to, setTo] = useState(channel === 'email' ? me.email : '');
  const [sent, setSent] = useState<TestMessage | null>(null);
  const [detail, setDetail] = useState<MessageDetail | null>(null);
  const { errors, general, busy, run } = useSubmit();
  const local = me.stage === 'local';

  useEffect(() => setTo(channel === 'email' ? me.email : ''), [channel]);
  // Read the message again until its status settles (or a minute passes).
  useEffect(() => {
    if (!sent) return;
    let polls = 0;
    let timer: ReturnType<typeof setTimeout>;
    const controller = new AbortController();
    const tick = async () => {
      try {
        const d = await get<MessageDetail>(`${appPath(app.application_id)}/messages/${encodeURIComponent(sent.message_id)}`, undefined, controller.signal);
        setDetail(d);
        if (outcome(d.status) !== 'pending') return;
      } catch (err) {
        if ((err as Error).name === 'AbortError') return;
      }
      if (++polls < MAX_POLLS) timer = setTimeout(tick, POLL_MS);
    };
    tick();
    return () => {
      controller.abort();
      clearTimeout(timer);
    };
  }, [sent?.message_id]);

  if (!channels.length) return null;
  const submit = (e: Event) => {
    e.preventDefault();
    if (!channel) return;
    setSent(null);
    setDetail(null);
    run(async () => setSent(await post<TestMessage>(`${appPath(app.application_id)}/test-messages`, { channel: channel as TestMessageRequest['channel'], to: to.trim(), lang } satisfies TestMessageRequest)));
  };
  const fieldError = errors.to || errors.phone || errors.recipient_number || errors.email;
  // The simulator's test targets exist where it plays the providers (local and dev), never in prod.
  const simulated = me.stage !== 'prod';
  const hint =
    channel === 'email'
      ? simulated
        ? t('Your own email, or a test address such as bounce@example.com.')
        : t('Your own email address.')
      : simulated
        ? t('Your own number. Test numbers: ending in 0000 is refused, 0001 is not delivered.')
        : t('Your own phone number.');
  return (
    <Card title={t('Send a test message')}>
      <form class="stack" onSubmit={submit} data-testid="test-send" noValidate>
        <p class="muted small">{t('Kirim sends a short test text. It uses one message of the channel’s quota.')}</p>
        {(general || errors.channel) && <Alert>{errors.channel || general}</Alert>}
        <div class="inline-form">
          <Select label={t('Channel')} name="test-channel" value={channel} options={channels.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))} onChange={setChannel} />
          <TextInput label={t('Recipient')} name="test-to" type={channel === 'email' ? 'email' : 'tel'} value={to} onInput={setTo} error={fieldError} hint={hint} required maxLength={254} placeholder={channel === 'email' ? 'budi@example.com' : '0812…'} />
          <button type="submit" class="btn btn-primary" disabled={busy || !to.trim()}>
            <Icon name="send" size={18} />
            {t('Send test')}
          </button>
        </div>
        {sent && (
          <div class="test-send-status" data-testid="test-status" role="status" aria-live="polite">
            <span>{t('Status')}:</span>
            {detail ? <StatusBadge status={detail.status} channel={detail.channel} /> : <span class="muted">{t('Sending…')}</span>}
            {detail && <span class="muted small">{formatTime(detail.updated_at || detail.created_at, lang)}</span>}
            <a href={`#/monitoring/${encodeURIComponent(sent.message_id)}`}>{t('See it in Monitoring')}</a>
            {local && (
              <a href={`#/inbox?to=${encodeURIComponent(sent.target)}`} target="_blank" rel="noopener" data-testid="open-inbox">
                {t('Open the Test inbox')}
              </a>
            )}
          </div>
        )}
      </form>
    </Card>
  );
}
