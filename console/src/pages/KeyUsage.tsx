// "How to use this key": V2 (the key) and V1 (the login) side by side, the channel's endpoint on this
// deployment, a ready snippet in five languages, and the guide's page.
import { useState } from 'preact/hooks';
import type { Channel } from '../api/types';
import { CHANNEL_LABEL } from '../channels';
import { useT } from '../i18n';
import { useSession } from '../state';
import { SNIPPET_LANGS, docsUrl, endpointUrl, keyPlaceholder, snippet, type SnippetLang, type Version } from '../snippets';
import { CopyButton, Icon } from '../ui';

export function KeyUsage({ channel, applicationId }: { channel: Channel; applicationId: string }) {
  const t = useT();
  const { me } = useSession();
  const [version, setVersion] = useState<Version>(2);
  const [lang, setLang] = useState<SnippetLang>('curl');
  const baseUrl = location.origin;
  const v1 = endpointUrl(channel, 1, baseUrl);
  const code = snippet({ channel, version: v1 ? version : 2, lang, baseUrl, applicationId, login: me.email }) || '';
  return (
    <section class="key-usage" data-testid="key-usage" data-channel={channel} aria-label={t('How to use this key')}>
      <h3>{t('How to use this key')}</h3>
      <div class="usage-versions">
        <div class="usage-version" data-testid="usage-v2">
          <h4>{t('V2: with this key')}</h4>
          <p class="small">{t('Send the key in the Authorization header. It works only for {channel}.', { channel: CHANNEL_LABEL[channel] })}</p>
          <code class="usage-code">POST {endpointUrl(channel, 2, baseUrl)}</code>
          <code class="usage-code">Authorization: Bearer {keyPlaceholder(channel)}</code>
        </div>
        <div class="usage-version" data-testid="usage-v1">
          <h4>{t('V1: with your login')}</h4>
          {v1 ? (
            <>
              <p class="small">{t('Basic auth with the email and password you sign in with. Add X-Application-Id to choose this application.')}</p>
              <code class="usage-code">POST {v1}</code>
              <code class="usage-code">X-Application-Id: {applicationId}</code>
            </>
          ) : (
            <p class="small">{t('WhatsApp works with V2 only: use the key.')}</p>
          )}
        </div>
      </div>
      <div class="usage-tabs">
        {v1 && (
          <div class="segmented" role="group" aria-label={t('Version')}>
            {([2, 1] as Version[]).map((v) => (
              <button type="button" key={v} class={version === v ? 'on' : ''} aria-pressed={version === v} onClick={() => setVersion(v)}>
                {v === 2 ? t('V2 (key)') : t('V1 (login)')}
              </button>
            ))}
          </div>
        )}
        <div class="segmented" role="group" aria-label={t('Language of the example')}>
          {SNIPPET_LANGS.map((l) => (
            <button type="button" key={l.value} class={lang === l.value ? 'on' : ''} aria-pressed={lang === l.value} onClick={() => setLang(l.value)} data-testid={'snippet-' + l.value}>
              {l.label}
            </button>
          ))}
        </div>
      </div>
      <pre class="snippet" data-testid="snippet" tabIndex={0} aria-label={t('Example')}>
        <code>{code}</code>
      </pre>
      <div class="form-actions start">
        <CopyButton value={code} label={t('Example')} />
        <a class="btn btn-ghost btn-small" href={docsUrl(channel)} target="_blank" rel="noopener" data-testid="usage-docs">
          <Icon name="link" size={16} />
          {t('Read the guide for {channel}', { channel: CHANNEL_LABEL[channel] })}
        </a>
      </div>
      <p class="muted small">{t('Put your key in place of {placeholder}.', { placeholder: keyPlaceholder(channel) })}</p>
    </section>
  );
}
