// Every error the console shows, in the reader's language. The API answers a stable `reason` (and `params`)
// beside its English `message`; here reason + field become a sentence for the person at the form. Field paths
// (body.text, buttons[1].url), 0-based indexes, provider codes and bare HTTP statuses never reach the page.
import { ApiError } from './api/client';
import type { ApiErrorItem } from './api/types';
import type { T } from './i18n';

/** What a check found: the API's error item, or the same made by the console's own checks. */
export interface Fault {
  field?: string;
  reason?: string;
  params?: Record<string, unknown>;
  code?: number | string;
}

const FIELD_LABELS: Record<string, string> = {
  name: 'Template Name',
  language: 'Language',
  category: 'Category',
  header: 'Header',
  'header.format': 'Header',
  'header.text': 'Header text',
  'header.example': 'Example for {{1}}',
  'header.media_url': 'Example media URL (https)',
  body: 'Body',
  'body.text': 'Body',
  'body.examples': 'Examples',
  footer: 'Footer',
  'footer.text': 'Footer',
  buttons: 'Buttons',
  accept_terms: 'Terms of Use',
  authentication: 'Authentication',
  'authentication.code_expiration_minutes': 'Code expires after (minutes)',
  'authentication.otp_type': 'Code delivery',
  'authentication.button_text': 'Button text',
  'authentication.package_name': 'Package name',
  'authentication.signature_hash': 'App signature hash',
  email: 'Email',
  password: 'Password',
};

const BUTTON_PARTS: Record<string, string> = {
  type: 'Button type',
  text: 'Button text',
  url: 'Website URL',
  example: 'Example',
  phone_number: 'Phone number',
};

/** A field's name as the form shows it: "Button 2 · Website URL", "Example for {{1}}" (never a path). */
export function fieldLabel(field: string | undefined, t: T): string {
  if (!field) return '';
  const button = /^buttons\[(\d+)\](?:\.(\w+))?$/.exec(field);
  if (button) {
    const n = Number(button[1]) + 1;
    const part = button[2] && BUTTON_PARTS[button[2]];
    return t('Button {n}', { n }) + (part ? ' · ' + t(part) : '');
  }
  const example = /^body\.examples\[(\d+)\]$/.exec(field);
  if (example) return t('Example for {v}', { v: `{{${Number(example[1]) + 1}}}` });
  return FIELD_LABELS[field] ? t(FIELD_LABELS[field]) : '';
}

const num = (value: unknown) => (typeof value === 'number' ? value : Number(value) || 0);

/** What is wrong, as one sentence for the person at the form (the field's name is shown beside it). */
export function reasonText(fault: Fault, t: T): string {
  const p = fault.params || {};
  switch (fault.reason) {
    case 'required':
      return t('Fill this in.');
    case 'terms_required':
      return t('Accept the Terms of Use to submit.');
    case 'too_long':
      return t('Use at most {n} characters.', { n: num(p.max) });
    case 'too_short':
      return t('Use at least {n} characters.', { n: num(p.min) });
    case 'password_length':
      return t('Use {min} to {max} characters.', { min: num(p.min), max: num(p.max) });
    case 'email_invalid':
      return t('Enter an email address like name@shop.co.id.');
    case 'email_taken':
      return t('An account with this email already exists. Sign in instead.');
    case 'name_format':
      return t('Use only lowercase letters a-z, digits and _ (for example promo_lebaran_2026).');
    case 'name_taken':
      return t('A template with this name and language already exists. Choose another name.');
    case 'not_allowed':
      return t('Choose one of the options.');
    case 'variable_syntax':
      return t('Write variables as {{1}}, {{2}}: a number from 1 in double braces.');
    case 'variable_order':
      return t('Number the variables {{1}}, {{2}}, … in order, each once.');
    case 'variable_at_start':
      return t('Start with words, not with a variable.');
    case 'variable_at_end':
      return t('End with words, not with a variable.');
    case 'variables_adjacent':
      return t('Put words between two variables.');
    case 'examples_count':
      return t('Give one example for each variable.');
    case 'header_variable':
      return t('The header may have one variable, {{1}}.');
    case 'no_variables':
      return t('The footer cannot have variables.');
    case 'not_expected':
      return t('Leave this empty for this kind of template.');
    case 'https_required':
      return t('Use a web address that starts with https://');
    case 'url_variable':
      return t('The address may end with one variable, {{1}}, after the website name.');
    case 'url_example':
      return t('Give the full address with {{1}} filled in.');
    case 'phone_format':
      return t('Write the number with + and the country code, like +6281234567890.');
    case 'too_many_buttons':
      return t('A template has at most {n} buttons.', { n: num(p.max) });
    case 'too_many_of_kind':
      return t('Too many buttons of one kind: at most 2 website, 1 phone and 1 offer-code button.');
    case 'quick_replies_grouped':
      return t('Put the quick replies together, before or after the other buttons.');
    case 'copy_code_marketing':
      return t('Only marketing templates can have an offer-code button.');
    case 'auth_only':
    case 'auth_preset':
      return t('Authentication templates use WhatsApp’s own text: leave this empty.');
    case 'out_of_range':
      return t('Enter a whole number from {min} to {max}.', { min: num(p.min), max: num(p.max) });
    case 'package_name':
      return t('Enter the Android app’s package name, like com.example.app.');
    case 'signature_hash':
      return t('Enter the app’s 11-character signature hash.');
    case 'provider_rejected':
      return t('WhatsApp refused this template. Check its words and try again.');
    case 'conflict':
      return t('Someone changed this meanwhile. Reload the page and try again.');
    case 'not_found':
    case 'template_not_found':
      return t('This no longer exists. Reload the page.');
    case 'too_large':
      return t('This is too large to send.');
    case 'date_invalid':
      return t('Enter a valid date.');
    case 'invalid_credentials':
      return t('The email or password is wrong.');
    case 'too_many_requests':
      return t('Too many requests. Wait a moment and try again.');
    case 'item_count':
      return t('Give at most {n} items.', { n: num(p.max) });
    case 'sender_id_format':
      return t('Each sender ID has 1 to 11 letters, digits, spaces, - _ or .');
    case 'timezone_invalid':
      return t('Enter a time zone such as Asia/Jakarta.');
    case 'placeholder_format':
      return t('Write placeholders as {{name}}: letters, digits and _, starting with a letter.');
    case 'script_too_long':
      return t('The script is too long for one call. Shorten it or use fewer variables.');
    case 'forbidden':
      return t('Your role in this application does not allow this');
    case 'invitation_invalid':
      return t('This invitation is not valid: it was used, withdrawn or has expired');
    case 'invitation_other_email':
      return t('This invitation is for another email address. Sign in with the address it was sent to.');
    case 'own_application':
      return t('You own this application');
    case 'is_owner':
      return t('This person owns the application');
    case 'already_member':
      return t('This person is in the team already');
    case 'team_full':
      return t('A team has at most {n} people and invitations.', { n: num(p.max) });
    case 'code_needed':
      return t('Enter the code from your authenticator app');
    case 'code_wrong':
      return t('The code is not right. Enter the current code, or a recovery code');
    case 'two_factor_on':
      return t('Two-factor sign-in is on already; turn it off first');
    case 'two_factor_setup_first':
      return t('Start the setup first');
    case 'two_factor_off':
      return t('Two-factor sign-in is off');
    case 'report_too_large':
      return t('This report would be too large. Choose a shorter date range or fewer statuses.');
  }
  return t('Check this value.');
}

/** The faults of an error, with field-less "items" dropped when the answer has none worth showing. */
export function faultsOf(error: unknown): Fault[] {
  return error instanceof ApiError ? error.items.map((i: ApiErrorItem) => i as Fault) : [];
}

/** True when the server or the network failed (not the form): nothing to fix in the fields. */
export function isServerFault(error: unknown): boolean {
  return !(error instanceof ApiError) || error.status === 0 || error.status >= 500 || error.status === 429;
}

/** {field: sentence} for the faults that name a field (one each: the first). */
export function fieldMessages(faults: Fault[], t: T): Record<string, string> {
  const out: Record<string, string> = {};
  for (const f of faults) if (f.field && !(f.field in out)) out[f.field] = reasonText(f, t);
  return out;
}

/** One line per fault for a list above a form: "Button 2 · Website URL: Use a web address…". */
export function summaryLine(fault: Fault, t: T): string {
  const label = fieldLabel(fault.field, t);
  return label ? `${label}: ${reasonText(fault, t)}` : reasonText(fault, t);
}

// Meta's review words (rejected_reason; PAUSED and DISABLED with their reason after a colon), in words.
const REJECTIONS: Record<string, string> = {
  INVALID_FORMAT: 'The template does not follow WhatsApp’s format rules.',
  TAG_CONTENT_MISMATCH: 'The words do not match the chosen category.',
  INCORRECT_CATEGORY: 'The words do not match the chosen category.',
  CATEGORY_NOT_AVAILABLE: 'This category cannot be used for this account.',
  PROMOTIONAL: 'It reads as promotion: choose the Marketing category.',
  ABUSIVE_CONTENT: 'WhatsApp found content it does not allow.',
  SCAM: 'WhatsApp found content it does not allow.',
  PAUSED: 'WhatsApp paused this template after customers’ feedback.',
  DISABLED: 'WhatsApp disabled this template after customers’ feedback.',
};

/** Why WhatsApp refused, paused or disabled a template, in the reader's language (never Meta's code). */
export function rejectionText(reason: string, t: T): string {
  const word = reason.split(':')[0].trim().toUpperCase();
  return t(REJECTIONS[word] || 'WhatsApp refused this template. Check its words and try again.');
}
