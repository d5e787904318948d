// The broadcast routes' types: aliases of the OpenAPI document's schemas (openapi.d.ts, generated), so a change
// in what the API answers shows here as a type error. Only AnyContent, a form's view, is the console's own.
import { appPath } from './client';
import type { components } from './openapi';

type Schemas = components['schemas'];

export type BroadcastChannel = Schemas['BroadcastChannel'];
export type BroadcastStatus = Schemas['BroadcastStatus'];
export type BroadcastReason = Schemas['BroadcastReason'];
export type BroadcastContent = Schemas['BroadcastContent'];
export type RecipientFile = Schemas['BroadcastFile'];
/** Each placeholder to a column of the file or a fixed value. */
export type MappedValue = Schemas['BroadcastValue'];
export type Mapping = Schemas['BroadcastMapping'];
export type Validation = Schemas['BroadcastValidation'];
export type FileErrorCode = NonNullable<Validation['error']>['code'];
export type Schedule = Schemas['BroadcastSchedule'];
export type ScheduleRequest = Schemas['BroadcastScheduleRequest'];
export type Progress = Schemas['BroadcastProgress'];
export type Broadcast = Schemas['Broadcast'];
export type BroadcastList = Schemas['BroadcastList'];
export type BroadcastRequest = Schemas['BroadcastRequest'];
export type BroadcastChanges = Schemas['BroadcastChanges'];
export type UploadRequest = Schemas['UploadRequest'];
export type UploadTicket = Schemas['UploadForm'];
export type BroadcastProgress = Schemas['BroadcastProgressAnswer'];

/** Loose view of the content for forms: every channel's keys, all optional. */
export type AnyContent = Partial<Schemas['BroadcastWhatsAppContent'] & Schemas['BroadcastSmsContent'] & Schemas['BroadcastEmailContent'] & Schemas['BroadcastIvrContent']>;

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
