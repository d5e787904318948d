// Meta's template languages (a copy of the list the server validates against, so the console
// needs no extra request; the server stays the judge). Typed by the OpenAPI document's TemplateLanguage:
// a language the server takes that the copy lacks is a type error.
import type { TemplateLanguage } from './api/types';
import languages from './data/whatsapp_languages.json';

export const LANGUAGES: Record<TemplateLanguage, string> = languages;
export const LANGUAGE_OPTIONS = (Object.entries(LANGUAGES) as [TemplateLanguage, string][])
  .map(([value, label]) => ({ value, label: `${label} (${value})` }))
  .sort((a, b) => a.label.localeCompare(b.label));
