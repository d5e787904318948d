// Why a message failed, in words a shop owner reads: the provider's (or Kirim's) code as the message's
// history keeps it, mapped to a sentence of the catalogue (i18n.ts has each in Indonesian). The code
// itself is never shown: a sentence always comes, a general one for a code not listed here.
import type { Channel } from './api/types';

const REASONS: Record<string, string> = {
  // Kirim's own
  SIMULATED_REJECT: 'The test provider refused it: this test number always fails.',
  DISPATCH_EXHAUSTED: 'The provider could not be reached after several tries. It was not charged.',
  NO_PROVIDER_ANSWER: 'The provider never confirmed it got the message. It was not charged.',
  // SMS and SMS OTP (the operator's word)
  TEXT_BLOCKED: 'The mobile operator blocked this message.',
  TEXT_CARRIER_BLOCKED: 'The mobile operator blocked this message.',
  TEXT_PROTECT_BLOCKED: 'The mobile operator blocked this message.',
  TEXT_SPAM: 'The mobile operator blocked this message as spam.',
  TEXT_INVALID: 'This phone number is not valid or not in service.',
  TEXT_INVALID_MESSAGE: 'The mobile operator refused the text of this message.',
  TEXT_UNREACHABLE: 'The phone could not be reached (switched off or out of coverage).',
  TEXT_CARRIER_UNREACHABLE: 'The phone could not be reached (switched off or out of coverage).',
  TEXT_UNKNOWN: 'The mobile operator never said whether it arrived, so it counts as failed.',
  TEXT_TTL_EXPIRED: 'The phone did not come online before the message expired.',
  // IVR calls
  VOICE_NO_ANSWER: 'The call rang but nobody answered.',
  VOICE_COMPLETED: 'The call ended without being answered.',
  VOICE_BUSY: 'The line was busy or the call was declined.',
  VOICE_FAILED: 'The call could not be connected.',
  VOICE_TTL_EXPIRED: 'The call could not be made in time.',
  // Email (the mail server's word)
  'Bounce:Permanent': 'This email address does not exist or does not accept mail.',
  'Bounce:Transient': "The recipient's mailbox refused it for now (full, or the email is too large).",
  'Bounce:Undetermined': "The recipient's mail server refused it.",
  Complaint: 'The recipient marked this email as spam.',
  Reject: 'The email was refused before sending (its content is not allowed).',
  'Rendering Failure': 'The email could not be built from its content.',
  'DeliveryDelay:expired': "The recipient's mail server did not accept it in time.",
  // WhatsApp (Meta's error codes)
  'failed:131026': 'This number has no WhatsApp account, or the customer blocked your business.',
  'failed:131050': 'The customer turned off marketing messages from your business.',
};

const GENERAL: Record<Channel, string> = {
  whatsapp: 'WhatsApp did not deliver this message.',
  sms: 'The mobile operator did not deliver this message.',
  sms_otp: 'The mobile operator did not deliver this message.',
  ivr: 'The call could not be completed.',
  email: "The recipient's mail server did not accept this email.",
};

/** The English sentence (a catalogue key) for a failure's code on a channel. */
export function failureReason(channel: Channel, code: string | null | undefined): string {
  if (code && REASONS[code]) return REASONS[code];
  if (code?.startsWith('meta:')) return 'WhatsApp refused this message.';
  if (code?.startsWith('Bounce:')) return REASONS['Bounce:Undetermined'];
  return GENERAL[channel];
}

/** Every sentence failureReason can give (the catalogue test checks each has its Indonesian). */
export const ALL_REASONS = [...new Set([...Object.values(REASONS), ...Object.values(GENERAL), 'WhatsApp refused this message.'])];
