// Meta's template languages (a copy of the list the server validates against, so the console
// needs no extra request; the server stays the judge), named in English and in Indonesian. Typed by the
// OpenAPI document's TemplateLanguage: a language the server takes that a copy lacks is a type error.
import type { TemplateLanguage } from './api/types';
import type { Lang } from './i18n';
import english from './data/whatsapp_languages.json';
import indonesian from './data/whatsapp_languages_id.json';

const NAMES: Record<Lang, Record<TemplateLanguage, string>> = { en: english, id: indonesian };

export const languageName = (code: TemplateLanguage, lang: Lang): string => NAMES[lang][code] || code;

export const languageOptions = (lang: Lang) =>
  (Object.entries(NAMES[lang]) as [TemplateLanguage, string][])
    .map(([value, label]) => ({ value, label: `${label} (${value})` }))
    .sort((a, b) => a.label.localeCompare(b.label, lang));
