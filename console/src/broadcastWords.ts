// A broadcast's status, why it stopped, and the file-level errors of its recipients file, in words (catalogue keys).
import type { BroadcastReason, BroadcastStatus, FileErrorCode } from './api/broadcasts';
import type { T } from './i18n';

export const STATUS_LABEL: Record<BroadcastStatus, string> = {
  draft: 'Draft',
  validating: 'Validating',
  ready: 'Ready',
  scheduled: 'Scheduled',
  running: 'Running',
  paused: 'Paused',
  completed: 'Completed',
  canceled: 'Canceled',
  failed: 'Failed',
};

/** The badge colour of a status (ui.tsx's badge-* classes). */
export const STATUS_KIND: Record<BroadcastStatus, 'success' | 'failed' | 'pending' | 'neutral'> = {
  draft: 'neutral',
  validating: 'pending',
  ready: 'neutral',
  scheduled: 'pending',
  running: 'pending',
  paused: 'failed',
  completed: 'success',
  canceled: 'neutral',
  failed: 'failed',
};

const REASON: Record<BroadcastReason, string> = {
  quota: 'quota ran out — top up to resume',
  template_paused: 'WhatsApp paused the template — it resumes when WhatsApp allows the template again',
  template_not_approved: 'the template is not approved by WhatsApp',
  tier_limit: 'the WhatsApp number reached its daily limit of customers — it goes on when the limit resets',
  quiet_hours: 'quiet hours — it goes on when they end',
  canceled: 'canceled by a team member',
  file: 'the recipients file could not be read',
};

/** "Paused: quota ran out — top up to resume", or just "Running". */
export function statusLine(status: BroadcastStatus, reason: BroadcastReason | null, t: T): string {
  const label = t(STATUS_LABEL[status]);
  return reason && REASON[reason] ? `${label}: ${t(REASON[reason])}` : label;
}

const FILE_ERROR: Record<FileErrorCode, string> = {
  empty_file: 'The file is empty. Add a header row and at least one customer, then upload it again.',
  encoding: 'The file’s characters cannot be read. Save it as CSV UTF-8 (in Excel: Save As, CSV UTF-8) and upload it again.',
  binary: 'This is not a CSV or Excel file. Upload a .csv or .xlsx file.',
  too_many_rows: 'The file has more than 1,000,000 customers. Split it into smaller files.',
  too_large: 'The file is larger than 100 MB. Split it into smaller files.',
  missing_column: 'A column chosen for the recipient or a placeholder is not in the file. Check the column choices.',
  no_header: 'The file has no header row. Put the column names in the first row.',
};

export function fileErrorText(code: string | undefined, t: T): string {
  return t(FILE_ERROR[code as FileErrorCode] || 'The file could not be read. Check it and upload it again.');
}

/** Why a recipient was not sent to (progress.not_sent_reasons keys). */
const NOT_SENT: Record<string, string> = {
  quota: 'Quota ran out',
  suppressed: 'On the suppression list',
  invalid: 'Invalid number or address',
  canceled: 'Canceled',
  template_paused: 'Template paused by WhatsApp',
  tier_limit: 'WhatsApp daily limit',
};
export const notSentText = (reason: string, t: T) => t(NOT_SENT[reason] || 'Other reason');
