// "How to use this key": each channel's send route (docs/channel-api.md) as a ready snippet in five
// languages, V2 (the channel's key) or V1 (Basic auth with the login). Pure functions, no UI.
import type { Channel } from './api/types';

export type Version = 1 | 2;
export type SnippetLang = 'curl' | 'php' | 'javascript' | 'python' | 'go';
export const SNIPPET_LANGS: { value: SnippetLang; label: string }[] = [
  { value: 'curl', label: 'curl' },
  { value: 'php', label: 'PHP' },
  { value: 'javascript', label: 'JavaScript' },
  { value: 'python', label: 'Python' },
  { value: 'go', label: 'Go' },
];

export interface Endpoint {
  method: 'POST';
  /** the route's path; V1 is absent for WhatsApp (V2 only) */
  v1?: string;
  v2: string;
  /** an example body, as the channel's docs send it */
  body: Record<string, unknown>;
  /** the docs page's anchor for this channel */
  docs: string;
}

export const ENDPOINTS: Record<Channel, Endpoint> = {
  sms: { method: 'POST', v1: '/api/v1/sms', v2: '/sms/v2/sms', body: { phone: '081234567890', message: 'Halo dari Kirim' }, docs: 'sms' },
  sms_otp: {
    method: 'POST',
    v1: '/sms/api/v1/send-otp',
    v2: '/sms/v2/send-otp',
    body: { sender_id: 'YOUR_SENDER_ID', recipient_number: '6281234567890', message_body: 'Kode OTP Anda 123456' },
    docs: 'sms-otp',
  },
  email: {
    method: 'POST',
    v1: '/api/v1/send-single',
    v2: '/email/v2/send-single',
    // message: base64 of <h1>Halo</h1>
    body: { email: 'customer@example.com', message: 'PGgxPkhhbG88L2gxPg==', sender_email: 'noreply@yourshop.id', sender_name: 'Toko', subject: 'Pesanan' },
    docs: 'email',
  },
  ivr: {
    method: 'POST',
    v1: '/api/v1/call',
    v2: '/call/v2/call',
    body: { from_number: 'YOUR_NUMBER', to_number: '081234567890', ivr_id: 'YOUR_IVR_ID', variable: { name: 'Budi' } },
    docs: 'ivr-call',
  },
  whatsapp: {
    method: 'POST',
    v2: '/api/v2/push/message',
    body: {
      phone_number: '081234567890',
      message: { type: 'template', template: { template_code_id: 'YOUR_TEMPLATE_ID', payload: [{ position: 'body', parameters: [{ type: 'text', text: 'Budi' }] }] } },
    },
    docs: 'whatsapp-template',
  },
};

/** The placeholder a snippet carries where the key goes (the real key is shown only once). */
export const keyPlaceholder = (channel: Channel) => `YOUR_${channel.toUpperCase()}_KEY`;
export const PASSWORD_PLACEHOLDER = 'YOUR_PASSWORD';

export const docsUrl = (channel: Channel) => `/docs/guide/channel-api/#${ENDPOINTS[channel].docs}`;

export interface SnippetInput {
  channel: Channel;
  version: Version;
  lang: SnippetLang;
  /** this deployment's API, e.g. https://api.example.com (no trailing slash) */
  baseUrl: string;
  applicationId: string;
  /** V1: the account's login email */
  login: string;
}

export function endpointUrl(channel: Channel, version: Version, baseUrl: string): string | undefined {
  const path = version === 1 ? ENDPOINTS[channel].v1 : ENDPOINTS[channel].v2;
  return path && baseUrl.replace(/\/+$/, '') + path;
}

/** The headers a request carries, by name, in order. V1 names the application (X-Application-Id)
 * so an account with several applications sends from this one. */
export function headers(s: Pick<SnippetInput, 'channel' | 'version' | 'applicationId'>): [string, string][] {
  const auth: [string, string] = s.version === 2 ? ['Authorization', `Bearer ${keyPlaceholder(s.channel)}`] : ['X-Application-Id', s.applicationId];
  return [auth, ['Content-Type', 'application/json']];
}

/** A ready snippet, or undefined where the channel has no such version (WhatsApp V1). */
export function snippet(s: SnippetInput): string | undefined {
  const url = endpointUrl(s.channel, s.version, s.baseUrl);
  if (!url) return undefined;
  const json = JSON.stringify(ENDPOINTS[s.channel].body, null, 2);
  const hs = headers(s);
  const basic = `${s.login}:${PASSWORD_PLACEHOLDER}`;
  const v1 = s.version === 1;
  const note = v1 ? '' : `application ${s.applicationId}`;
  const indent = (text: string, pad: string) => text.split('\n').join('\n' + pad);
  switch (s.lang) {
    case 'curl':
      return [
        ...(note ? [`# ${note}`] : []),
        `curl -s ${url} \\`,
        ...(v1 ? [`  -u '${basic}' \\`] : []),
        ...hs.map(([k, v]) => `  -H '${k}: ${v}' \\`),
        `  -d '${JSON.stringify(ENDPOINTS[s.channel].body)}'`,
      ].join('\n');
    case 'php':
      return [
        '<?php',
        ...(note ? [`// ${note}`] : []),
        `$ch = curl_init('${url}');`,
        'curl_setopt_array($ch, [',
        '    CURLOPT_POST => true,',
        '    CURLOPT_RETURNTRANSFER => true,',
        ...(v1 ? [`    CURLOPT_USERPWD => '${basic}',`] : []),
        `    CURLOPT_HTTPHEADER => [${hs.map(([k, v]) => `'${k}: ${v}'`).join(', ')}],`,
        `    CURLOPT_POSTFIELDS => '${JSON.stringify(ENDPOINTS[s.channel].body)}',`,
        ']);',
        'echo curl_exec($ch);',
      ].join('\n');
    case 'javascript': {
      const jsHeaders = [...(v1 ? [`'Authorization': 'Basic ' + btoa('${basic}')`] : []), ...hs.map(([k, v]) => `'${k}': '${v}'`)];
      return [
        ...(note ? [`// ${note}`] : []),
        `const response = await fetch('${url}', {`,
        "  method: 'POST',",
        `  headers: { ${jsHeaders.join(', ')} },`,
        `  body: JSON.stringify(${indent(json, '  ')}),`,
        '});',
        'console.log(await response.json());',
      ].join('\n');
    }
    case 'python':
      return [
        'import requests',
        '',
        ...(note ? [`# ${note}`] : []),
        'response = requests.post(',
        `    "${url}",`,
        ...(v1 ? [`    auth=("${s.login}", "${PASSWORD_PLACEHOLDER}"),`] : []),
        `    headers={${hs.filter(([k]) => k !== 'Content-Type').map(([k, v]) => `"${k}": "${v}"`).join(', ')}},`,
        `    json=${indent(json, '    ')},`,
        ')',
        'print(response.json())',
      ].join('\n');
    case 'go':
      return [
        'package main',
        '',
        'import (',
        '\t"fmt"',
        '\t"io"',
        '\t"net/http"',
        '\t"strings"',
        ')',
        '',
        ...(note ? [`// ${note}`] : []),
        'func main() {',
        `\tbody := strings.NewReader(\`${JSON.stringify(ENDPOINTS[s.channel].body)}\`)`,
        `\treq, _ := http.NewRequest("POST", "${url}", body)`,
        ...(v1 ? [`\treq.SetBasicAuth("${s.login}", "${PASSWORD_PLACEHOLDER}")`] : []),
        ...hs.map(([k, v]) => `\treq.Header.Set("${k}", "${v}")`),
        '\tres, err := http.DefaultClient.Do(req)',
        '\tif err != nil {',
        '\t\tpanic(err)',
        '\t}',
        '\tdefer res.Body.Close()',
        '\tout, _ := io.ReadAll(res.Body)',
        '\tfmt.Println(string(out))',
        '}',
      ].join('\n');
  }
}
