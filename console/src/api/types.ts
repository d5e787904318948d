// Every type of the dashboard API that the console uses, in one file (a later issue generates it
// from the OpenAPI document). Times are ISO 8601 UTC strings ending in Z.

export type Channel = 'whatsapp' | 'sms' | 'sms_otp' | 'ivr' | 'email';

export interface ApiErrorItem {
  message: string | { value?: unknown; msg?: string; param?: string; location?: string }[];
  code: number | string;
  field?: string;
}
export interface ApiErrorBody {
  errors: ApiErrorItem[];
}

// /auth
export interface Me {
  user_id: string;
  email: string;
  name: string;
}
export interface LoginRequest {
  email: string;
  password: string;
}
export interface LoginResponse {
  expires_at: string;
}
export interface RegisterRequest {
  email: string;
  password: string;
  name: string;
}

// /applications
export interface ChannelToken {
  prefix: string;
  issued_at: string;
}
export interface ApplicationChannel {
  channel: Channel;
  status: 'Active' | 'Inactive';
  quota_remaining: number;
  token: ChannelToken | null;
}
export interface Application {
  application_id: string;
  name: string;
  created_at: string;
  channels: ApplicationChannel[];
}
export interface ApplicationList {
  items: Application[];
}
export interface CreateApplicationRequest {
  name: string;
  channels: Channel[];
}
export interface GeneratedToken {
  channel: Channel;
  token: string;
  issued_at: string;
}

// /applications/{id}/settings and /ivr
export interface Settings {
  application_id: string;
  sender_ids: string[];
  timezone: string;
  rate_limit: number;
  callback_url: string | null;
}
export interface SettingsUpdate {
  sender_ids?: string[];
  timezone?: string;
  rate_limit?: number;
  callback_url?: string | null;
}
export interface IvrScript {
  ivr_id: string;
  ivr_name: string;
  required_variable: string[];
  created_at: string;
}
export interface IvrList {
  items: IvrScript[];
}
export interface CreateIvrRequest {
  name: string;
  script: string;
}

// /applications/{id}/whatsapp/templates
export type TemplateStatus = 'DRAFT' | 'SUBMITTED' | 'APPROVED' | 'REJECTED';
export type TemplateCategory = 'MARKETING' | 'UTILITY' | 'AUTHENTICATION';
export type HeaderFormat = 'TEXT' | 'IMAGE' | 'VIDEO' | 'DOCUMENT' | 'LOCATION';
export type ButtonType = 'QUICK_REPLY' | 'URL' | 'PHONE_NUMBER' | 'COPY_CODE';

export interface TemplateHeader {
  format: HeaderFormat;
  text?: string;
  example?: string;
  media_url?: string;
}
export interface TemplateBody {
  text: string;
  examples?: string[];
}
export interface TemplateButton {
  type: ButtonType;
  text?: string;
  url?: string;
  example?: string;
  phone_number?: string;
}
export interface TemplateAuthentication {
  add_security_recommendation?: boolean;
  code_expiration_minutes?: number;
  otp_type?: 'COPY_CODE' | 'ONE_TAP';
  button_text?: string;
  package_name?: string;
  signature_hash?: string;
}
/** The body of POST (create), PATCH (edit) and POST .../preview. */
export interface TemplateInput {
  name?: string;
  language?: string;
  category?: TemplateCategory;
  header?: TemplateHeader | null;
  body?: TemplateBody | null;
  footer?: { text: string } | null;
  buttons?: TemplateButton[] | null;
  authentication?: TemplateAuthentication | null;
  accept_terms?: boolean;
  submit?: boolean;
}
export interface PreviewRequest extends TemplateInput {
  masking_name?: string;
}
export interface Template {
  template_id: string;
  template_code_id: string;
  name: string;
  language: string;
  category: TemplateCategory | null;
  status: TemplateStatus;
  header: TemplateHeader | null;
  body: TemplateBody | null;
  footer: { text: string } | null;
  buttons: TemplateButton[] | null;
  authentication: TemplateAuthentication | null;
  components: unknown[] | null;
  created_at: string;
  updated_at: string;
  rejection_reason?: string;
}
export interface TemplateList {
  items: Template[];
}
export interface TemplatePreview {
  masking_name: string;
  header: { format: HeaderFormat; text?: string; media_url?: string } | null;
  body: string | null;
  footer: string | null;
  buttons: { type: ButtonType; text: string | null }[];
  more_buttons: number;
}

// /applications/{id}/overview and /messages
export interface SeriesPoint {
  date: string;
  total: number;
  success: number;
  failed: number;
}
export interface ChannelOverview {
  channel: Channel;
  total: number;
  success: number;
  failed: number;
  pending: number;
  success_rate: number;
  failed_rate: number;
  by_status: Record<string, number>;
  series: SeriesPoint[];
}
export interface MessageItem {
  message_id: string;
  channel: Channel;
  target: string;
  status: string;
  created_at: string;
  updated_at: string;
}
export interface Overview {
  from: string;
  to: string;
  channels: ChannelOverview[];
  latest: MessageItem[];
}
export interface MessagePage {
  items: MessageItem[];
  next_cursor: string | null;
}
export interface HistoryEntry {
  status: string;
  at: string;
  provider_status: string | null;
}
export interface MessageDetail extends MessageItem {
  history: HistoryEntry[];
}

// /applications/{id}/reports
export type ReportStatus = 'Processing' | 'Preparing' | 'Done' | 'Failed';
export interface CreateReportRequest {
  name: string;
  channel: Channel;
  statuses: string[];
  format: 'csv' | 'xlsx';
  from: string;
  to: string;
}
export interface Report {
  report_id: string;
  name: string;
  channel: Channel;
  statuses: string[];
  format: 'csv' | 'xlsx';
  from: string;
  to: string;
  status: ReportStatus;
  rows: number;
  progress: number;
  error?: string;
  created_at: string;
  finished_at?: string;
  size?: number;
  expired?: boolean;
}
export interface ReportList {
  items: Report[];
}
export interface ReportDownload {
  url: string;
  expires_at: string;
}
