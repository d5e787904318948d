// The console's names for the dashboard API's types. Every API type comes from the OpenAPI document:
// openapi.d.ts is generated from it (`python -m local.console_types`, run by console/build.py; never edit it),
// so a change in what the API answers shows here as a type error. Only console-only types are written by hand.
import type { components } from './openapi';

type Schemas = components['schemas'];

export type Channel = Schemas['Channel'];
export type StatusWord = Schemas['StatusWord'];
export type DashboardError = Schemas['DashboardError'];

// /auth
export type Me = Schemas['Me'];
export type RegisterRequest = Schemas['RegisterRequest'];
export type LoginRequest = Schemas['LoginRequest'];
export type LoginAnswer = Schemas['LoginAnswer'];

// /applications, settings, email senders, IVR scripts
export type Application = Schemas['Application'];
export type ApplicationChannel = Schemas['ApplicationChannel'];
export type ApplicationList = Schemas['ApplicationList'];
export type ApplicationRequest = Schemas['ApplicationRequest'];
export type GeneratedToken = Schemas['GeneratedToken'];
export type TestMessage = Schemas['TestMessage'];
export type TestMessageRequest = Schemas['TestMessageRequest'];
export type Settings = Schemas['Settings'];
export type SettingsUpdate = Schemas['SettingsUpdate'];
export type EmailIdentity = Schemas['EmailIdentity'];
export type EmailIdentityList = Schemas['EmailIdentityList'];
export type EmailIdentityRequest = Schemas['EmailIdentityRequest'];
export type DnsRecord = Schemas['DnsRecord'];
export type IvrScript = Schemas['IvrScript'];
export type IvrScriptList = Schemas['IvrScriptList'];
export type IvrScriptRequest = Schemas['IvrScriptRequest'];

// /applications/{id}/whatsapp/templates
export type Template = Schemas['Template'];
export type TemplateList = Schemas['TemplateList'];
export type TemplateStatus = Schemas['TemplateStatus'];
export type TemplateCategory = Schemas['TemplateCategory'];
export type TemplateLanguage = Schemas['TemplateLanguage'];
export type HeaderFormat = Schemas['HeaderFormat'];
export type ButtonType = Schemas['ButtonType'];
export type OtpType = Schemas['OtpType'];
export type TemplateButton = Schemas['TemplateButton'];
export type TemplateForm = Schemas['TemplateForm'];
export type TemplateChanges = Schemas['TemplateChanges'];
export type Preview = Schemas['Preview'];
export type PreviewRequest = Schemas['PreviewRequest'];

// /applications/{id}/overview and /messages
export type Overview = Schemas['Overview'];
export type OverviewChannel = Schemas['OverviewChannel'];

// /applications/{id}/usage
export type Usage = Schemas['Usage'];
export type UsageChannel = Schemas['UsageChannel'];
export type MessageItem = Schemas['MessageItem'];
export type MessageDetail = Schemas['MessageDetail'];
export type MessagePage = Schemas['MessagePage'];

// /applications/{id}/reports
export type Report = Schemas['Report'];
export type ReportList = Schemas['ReportList'];
export type ReportRequest = Schemas['ReportRequest'];
export type ReportStatus = Schemas['ReportStatus'];
export type ReportFormat = Schemas['ReportFormat'];
export type DownloadLink = Schemas['DownloadLink'];

// status callbacks (a message's deliveries, the signing secret) and the local test inbox
export type Delivery = Schemas['Delivery'];
export type CallbackAttempt = Schemas['CallbackAttempt'];
export type RotatedSecret = Schemas['RotatedSecret'];
export type InboxItem = Schemas['InboxItem'];
export type InboxList = Schemas['InboxList'];

// Console-only: an error item as the client reads it. The dashboard answers DashboardError; the items of OCA's
// validation error (a list of validator objects under `message`) are read too, so no error text is ever lost.
export type ApiErrorItem =
  | DashboardError['errors'][number]
  | { message: Schemas['OcaValidationDetail'][]; code: number | string; field?: string };
export interface ApiErrorBody {
  errors: ApiErrorItem[];
}
