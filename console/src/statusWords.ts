// OCA's status words stay as OCA shows them (people search for them); this says what each means, per
// channel where the guide says it differently, in the page's language (the text is a catalogue key).
import type { Channel } from './api/types';

const ANY: Record<string, string> = {
  Submitted: 'No final answer from the provider yet.',
  Sent: 'The operator has the message.',
  Delivered: 'The message reached the recipient.',
  Read: 'The recipient read the message.',
  Rejected: 'The recipient blocked the sender, or the number has no WhatsApp account.',
  Failed: 'The message could not be sent.',
  Undelivered: 'The number or the content is wrong.',
  'In Call': 'The call is in progress.',
  Answered: 'The call was answered.',
  RNA: 'The call rang but was not answered, or was declined.',
  Accepted: 'The mail server took the email; no final answer yet.',
  Opened: 'The recipient opened the email.',
  Clicked: 'The recipient clicked a link in the email.',
  'Failed by mail server': 'The mail server bounced, deferred or dropped the email.',
};

const BY_CHANNEL: Partial<Record<Channel, Record<string, string>>> = {
  whatsapp: { Failed: 'A variable was not filled, or the number is out of coverage or not real.' },
  email: { Failed: 'An internal error before sending. It is not billed.', Delivered: 'The recipient’s mail server accepted the email.' },
  ivr: { Failed: 'The call could not be made.' },
};

/** The English explanation of an OCA status word (a catalogue key), or undefined for other words. */
export function statusMeaning(status: string, channel?: Channel): string | undefined {
  return (channel && BY_CHANNEL[channel]?.[status]) || ANY[status];
}
