// The broadcast routes' shapes, written by hand while the API is built on another branch: openapi.d.ts
// gains them at the merge, and these become aliases of its schemas then.
import { appPath } from './client';

export type BroadcastChannel = 'whatsapp' | 'sms' | 'email' | 'ivr';
export type BroadcastStatus = 'draft' | 'validating' | 'ready' | 'scheduled' | 'running' | 'paused' | 'completed' | 'canceled' | 'failed';
export type BroadcastReason = 'quota' | 'template_paused' | 'template_not_approved' | 'tier_limit' | 'quiet_hours' | 'canceled' | 'file';
export type FileErrorCode = 'empty_file' | 'encoding' | 'binary' | 'too_many_rows' | 'too_large' | 'missing_column' | 'no_header';

export type BroadcastContent =
  | { template_id: string; header_media_url: string | null }
  | { sender_id: string; text: string }
  | { sender_email: string; subject: string; html: string }
  | { script_id: string; caller_id: string };

/** Loose view of the content for forms: every channel's keys, all optional. */
export type AnyContent = Partial<{ template_id: string; header_media_url: string | null; sender_id: string; text: string; sender_email: string; subject: string; html: string; script_id: string; caller_id: string }>;

export interface RecipientFile {
  name: string;
  size: number;
  format: 'csv' | 'xlsx';
  columns: string[];
  preview: string[][];
  delimiter: string;
  encoding: string;
}

/** Each placeholder to a column of the file or a fixed value. */
export type MappedValue = { column: string } | { value: string };
export interface Mapping {
  recipient: string;
  values: Record<string, MappedValue>;
}

export interface Validation {
  rows: number;
  valid: number;
  invalid: number;
  duplicates: number;
  suppressed: number;
  units: number;
  quota_available: number;
  estimated_cost: number;
  estimated_seconds: number;
  error: null | { code: FileErrorCode; message: string };
  errors_file: boolean;
}

export interface Schedule {
  start_at: string | null;
  rate_per_second: number;
  quiet_hours: null | { start: string; end: string };
}

export interface Progress {
  total: number;
  queued: number;
  sent: number;
  delivered: number;
  read: number;
  failed: number;
  not_sent: number;
  not_sent_reasons: Record<string, number>;
}

export interface Broadcast {
  broadcast_id: string;
  name: string;
  channel: BroadcastChannel;
  status: BroadcastStatus;
  status_reason: BroadcastReason | null;
  content: AnyContent;
  file: RecipientFile | null;
  mapping: Mapping | null;
  validation: Validation | null;
  schedule: Schedule;
  progress: Progress;
  created_at: string;
  updated_at: string;
  started_at: string | null;
  completed_at: string | null;
}

export interface BroadcastList {
  items: Broadcast[];
  next_cursor: string | null;
}

export interface UploadTicket {
  url: string;
  fields: Record<string, string>;
  expires_at: string;
}

export interface BroadcastProgress {
  status: BroadcastStatus;
  status_reason: BroadcastReason | null;
  progress: Progress;
}

export const broadcastsPath = (applicationId: string, broadcastId?: string) =>
  `${appPath(applicationId)}/broadcasts` + (broadcastId ? '/' + encodeURIComponent(broadcastId) : '');

export const MAX_FILE_BYTES = 100 * 1024 * 1024;

/** POSTs the file to the presigned S3 form (`fields` first, then `file`), reporting the share sent (0..1).
 * XHR, not fetch: fetch cannot report upload progress. */
export function uploadFile(ticket: UploadTicket, file: File, onProgress: (share: number) => void): Promise<void> {
  return new Promise((resolve, reject) => {
    const form = new FormData();
    for (const [k, v] of Object.entries(ticket.fields)) form.append(k, v);
    form.append('file', file);
    const xhr = new XMLHttpRequest();
    xhr.open('POST', ticket.url);
    xhr.upload.onprogress = (e) => e.lengthComputable && onProgress(e.loaded / e.total);
    xhr.onload = () => (xhr.status >= 200 && xhr.status < 300 ? resolve() : reject(new Error('upload')));
    xhr.onerror = () => reject(new Error('network'));
    xhr.send(form);
  });
}
