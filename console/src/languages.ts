// Meta's template languages (a copy of the list the server validates against, so the console
// needs no extra request; the server stays the judge).
import languages from './data/whatsapp_languages.json';

export const LANGUAGES: Record<string, string> = languages;
export const LANGUAGE_OPTIONS = Object.entries(LANGUAGES)
  .map(([value, label]) => ({ value, label: `${label} (${value})` }))
  .sort((a, b) => a.label.localeCompare(b.label));
