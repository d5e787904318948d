import type { Channel, StatusWord } from './api/types';

export const CHANNELS: Channel[] = ['whatsapp', 'sms', 'sms_otp', 'ivr', 'email'];

export const CHANNEL_LABEL: Record<Channel, string> = {
  whatsapp: 'WhatsApp',
  sms: 'SMS',
  sms_otp: 'SMS OTP',
  ivr: 'IVR Call',
  email: 'Email',
};

// The dashboard's status words per channel (OCA's), pending first, then success, then failure.
export const STATUS_WORDS: Record<Channel, StatusWord[]> = {
  whatsapp: ['Submitted', 'Delivered', 'Read', 'Rejected', 'Failed'],
  sms: ['Submitted', 'Sent', 'Delivered', 'Failed'],
  sms_otp: ['Submitted', 'Sent', 'Delivered', 'Undelivered', 'Failed'],
  ivr: ['In Call', 'Answered', 'RNA', 'Failed'],
  email: ['Accepted', 'Delivered', 'Opened', 'Clicked', 'Failed', 'Failed by mail server'],
};

const SUCCESS = new Set<string>(['Delivered', 'Read', 'Answered', 'Opened', 'Clicked'] satisfies StatusWord[]);
const FAILURE = new Set<string>(['Rejected', 'Failed', 'Undelivered', 'RNA', 'Failed by mail server'] satisfies StatusWord[]);

export type Outcome = 'success' | 'failed' | 'pending';
export function outcome(status: string): Outcome {
  return SUCCESS.has(status) ? 'success' : FAILURE.has(status) ? 'failed' : 'pending';
}

export function allStatusWords(channels: Channel[]): StatusWord[] {
  const words: StatusWord[] = [];
  for (const c of channels) for (const w of STATUS_WORDS[c]) if (!words.includes(w)) words.push(w);
  return words;
}
