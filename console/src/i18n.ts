// English (OCA's labels) with a Bahasa Indonesia switch. The choice of language is the only thing the
// console keeps in localStorage: never a token.
import { createContext } from 'preact';
import { useContext } from 'preact/hooks';
import en from './locales/en.json';
import id from './locales/id.json';

export type Lang = 'en' | 'id';
const KEY = 'kirim.console.lang';

// The message catalogue: one file per language (locales/en.json, locales/id.json), English text as the key,
// ICU MessageFormat for plurals and selects. A new string: `"English": "English"` in en.json and
// `"English": "Indonesian"` in id.json (tests/web/test_catalogue.py checks both). A missing entry falls back
// to the English text.
const CATALOGUE: Record<Lang, Record<string, string>> = { en, id };

export function storedLang(): Lang {
  try {
    return localStorage.getItem(KEY) === 'id' ? 'id' : 'en';
  } catch {
    return 'en';
  }
}
export function storeLang(lang: Lang): void {
  try {
    localStorage.setItem(KEY, lang);
  } catch {
    /* private mode: the choice lasts this page */
  }
  document.documentElement.lang = lang;
}

export type T = (text: string, vars?: Record<string, string | number>) => string;

export function translator(lang: Lang): T {
  return (text, vars) => {
    const message = CATALOGUE[lang][text] ?? en[text as keyof typeof en] ?? text;
    return vars ? formatMessage(message, vars, lang) : message;
  };
}

/** The index of the brace closing the one at `open` (nested braces counted). */
function closing(s: string, open: number): number {
  let depth = 0;
  for (let i = open; i < s.length; i++) {
    if (s[i] === '{') depth++;
    else if (s[i] === '}' && --depth === 0) return i;
  }
  return -1;
}

/** A small ICU MessageFormat: {name}, {n, plural, =0 {…} one {…} other {…}} (# is n) and
 * {v, select, a {…} other {…}}. Anything else in braces (WhatsApp's {{1}}) is left as it is. */
export function formatMessage(message: string, vars: Record<string, string | number>, lang: Lang, count?: number): string {
  let out = '';
  for (let i = 0; i < message.length; i++) {
    const c = message[i];
    if (c === '#' && count !== undefined) {
      out += new Intl.NumberFormat(lang === 'id' ? 'id-ID' : 'en-US').format(count);
      continue;
    }
    const end = c === '{' ? closing(message, i) : -1;
    const m = end > 0 ? /^\s*(\w+)\s*(?:,\s*(plural|select)\s*,([\s\S]*))?$/.exec(message.slice(i + 1, end)) : null;
    if (!m || !(m[1] in vars)) {
      out += c;
      continue;
    }
    const [, name, kind, body] = m;
    const value = vars[name];
    if (!kind) out += String(value);
    else {
      const options: Record<string, string> = {};
      for (let j = 0; j < body.length; ) {
        const key = /^\s*([^\s{]+)\s*\{/.exec(body.slice(j));
        if (!key) break;
        const open = j + key[0].length - 1;
        const close = closing(body, open);
        options[key[1]] = body.slice(open + 1, close);
        j = close + 1;
      }
      const n = Number(value);
      const choice = kind === 'plural' ? (options['=' + n] ?? options[new Intl.PluralRules(lang).select(n)]) : options[String(value)];
      out += formatMessage(choice ?? options.other ?? '', vars, lang, kind === 'plural' ? n : count);
    }
    i = end;
  }
  return out;
}

export const LangContext = createContext<{ lang: Lang; t: T; setLang: (l: Lang) => void }>({
  lang: 'en',
  t: translator('en'),
  setLang: () => undefined,
});
export const useT = () => useContext(LangContext).t;
export const useLang = () => useContext(LangContext);
