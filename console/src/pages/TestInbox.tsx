// The local stage's test inbox: what the simulator "delivered", in full (OTP codes included), newest
// first, for the signed-in owner's applications. The API has this route in the local stage only.
import { useState } from 'preact/hooks';
import { get } from '../api/client';
import type { Channel, InboxItem, InboxList } from '../api/types';
import { CHANNEL_LABEL } from '../channels';
import { formatTime } from '../format';
import { useLang, useT } from '../i18n';
import { useSession } from '../state';
import { Card, List, PageHeader, Select, TextInput, WhenLoaded, useLoad } from '../ui';

const CHANNELS: Channel[] = ['sms', 'sms_otp', 'whatsapp', 'ivr', 'email'];

export function TestInbox() {
  const t = useT();
  const { lang } = useLang();
  const { apps } = useSession();
  // ?to= from "Open the Test inbox" beside a test send
  const [to, setTo] = useState(() => new URLSearchParams(location.hash.split('?')[1] || '').get('to') || '');
  const [channel, setChannel] = useState<'' | Channel>('');
  const [query, setQuery] = useState({ to, channel: '' as '' | Channel, n: 0 });
  const loaded = useLoad((signal) => get<InboxList>('/simulator/messages', { to: query.to || undefined, channel: query.channel || undefined, limit: 50 }, signal), [query.to, query.channel, query.n]);
  const appName = (id: string) => apps?.find((a) => a.application_id === id)?.name || id;
  return (
    <>
      <PageHeader title={t('Test inbox')} />
      <p class="muted">{t('What the simulator delivered, in full, OTP codes included. Only the local stage has this page.')}</p>
      <form
        class="filters card"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          setQuery({ to: to.trim(), channel, n: query.n + 1 });
        }}
      >
        <TextInput label={t('Recipient')} name="inbox-to" value={to} onInput={setTo} placeholder="0812…, budi@example.com" />
        <Select label={t('Channel')} name="inbox-channel" value={channel} options={[{ value: '' as const, label: t('All channels') }, ...CHANNELS.map((c) => ({ value: c, label: CHANNEL_LABEL[c] }))]} onChange={setChannel} />
        <div class="form-actions start">
          <button type="submit" class="btn btn-primary">
            {t('Show')}
          </button>
        </div>
      </form>
      <Card title={t('Messages')}>
        <WhenLoaded loaded={loaded} data={loaded.data?.items}>
          {(items) => (
            <List testid="inbox" rows={items} rowKey={(item) => item.message_id} rowAttrs={() => ({ 'data-testid': 'inbox-item' })}
              empty={{ message: t('Nothing delivered yet. Send a message or start a verification.') }}
              item={(item) => (
                <>
                  <div class="row-between">
                    <span class="strong">
                      {CHANNEL_LABEL[item.channel]} · {item.to}
                    </span>
                    <span class="muted small nowrap">{formatTime(item.at, lang)}</span>
                  </div>
                  <div class="muted small">
                    {appName(item.application_id)} · <span class="mono">{item.message_id}</span>
                  </div>
                  <InboxBody item={item} />
                </>
              )}
            />
          )}
        </WhenLoaded>
      </Card>
    </>
  );
}

// Meta's template message as the simulator got it (the schema leaves it open).
interface SentTemplate {
  name?: string;
  language?: { code?: string };
  components?: { parameters?: { text?: string }[] }[];
}

function InboxBody({ item }: { item: InboxItem }) {
  const t = useT();
  const b = item.body;
  if (b.template) {
    const template = b.template as SentTemplate;
    const values = (template.components || []).flatMap((c) => (c.parameters || []).map((p) => p.text)).filter(Boolean);
    return (
      <p class="inbox-body">
        {t('Template')} <code>{template.name}</code> ({template.language?.code}): {values.join(', ') || '—'}
      </p>
    );
  }
  // A broadcast email's List-Unsubscribe header, <url>: the page its recipient would open.
  const unsubscribe = b.headers?.['List-Unsubscribe']?.replace(/^<|>$/g, '');
  return (
    <div class="inbox-body">
      {b.subject && (
        <p>
          <span class="strong">{b.subject}</span>
          {b.sender_email && <span class="muted small"> · {b.sender_name ? `${b.sender_name} <${b.sender_email}>` : b.sender_email}</span>}
        </p>
      )}
      {b.sender_id && <p class="muted small">{t('Sender ID')}: {b.sender_id}</p>}
      <pre class="pre-wrap">{b.text || b.html || b.ssml || ''}</pre>
      {b.attachment && <p class="muted small">{t('Attachment')}: {b.attachment}</p>}
      {unsubscribe && (
        <p class="small">
          <a href={unsubscribe} target="_blank" rel="noreferrer" data-testid="inbox-unsubscribe">
            {t('Unsubscribe link')}
          </a>
        </p>
      )}
    </div>
  );
}
