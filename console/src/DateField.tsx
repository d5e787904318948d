// A date typed as dd/mm/yyyy in the page's language, never the browser's locale (an <input type=date>
// follows the browser: an English laptop shows mm/dd/yyyy on an Indonesian page). The value stays ISO
// (yyyy-mm-dd). Arrow Up/Down move a day, Page Up/Down a month.
import { useEffect, useState } from 'preact/hooks';
import { useLang } from './i18n';
import { Field, describedBy, useId } from './ui';

const pad = (n: number) => String(n).padStart(2, '0');

/** '2026-12-05' -> '05/12/2026' */
export function showDate(iso: string): string {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(iso);
  return m ? `${m[3]}/${m[2]}/${m[1]}` : '';
}

/** '5/12/2026', '05-12-2026', '5.12.2026' -> '2026-12-05'; anything else (or a day that does not exist) -> '' */
export function readDate(text: string): string {
  const m = /^\s*(\d{1,2})\s*[/.\- ]\s*(\d{1,2})\s*[/.\- ]\s*(\d{4})\s*$/.exec(text);
  if (!m) return '';
  const [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (date.getUTCFullYear() !== y || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) return '';
  return `${y}-${pad(mo)}-${pad(d)}`;
}

function shift(iso: string, days: number, months: number): string {
  const [y, m, d] = iso.split('-').map(Number);
  const date = new Date(Date.UTC(y, m - 1 + months, d + days));
  return date.toISOString().slice(0, 10);
}

export function DateField(props: { label: string; value: string; onChange: (iso: string) => void; name?: string; error?: string; required?: boolean; min?: string; max?: string; id?: string; bare?: boolean }) {
  const { t } = useLang();
  const ownId = useId('date');
  const id = props.id || ownId;
  const [text, setText] = useState(showDate(props.value));
  const [bad, setBad] = useState(false);
  // A value set from outside (a preset, a reset) replaces what is shown, not what is half typed.
  useEffect(() => {
    if (readDate(text) !== props.value) setText(showDate(props.value));
  }, [props.value]);
  const error = props.error || (bad ? t('Enter the date as dd/mm/yyyy, e.g. {example}.', { example: '31/12/2026' }) : '');
  const hint = t('dd/mm/yyyy');
  const input = (
    <input
      id={id}
      name={props.name}
      type="text"
      inputMode="numeric"
      autoComplete="off"
      placeholder={t('dd/mm/yyyy')}
      value={text}
      required={props.required}
      maxLength={10}
      onInput={(e) => {
        const value = (e.target as HTMLInputElement).value;
        setText(value);
        setBad(false);
        props.onChange(readDate(value));
      }}
      onBlur={() => {
        const iso = readDate(text);
        if (iso) setText(showDate(iso)); // '1/11/2026' is shown as 01/11/2026
        setBad(text.trim() !== '' && !iso);
      }}
      onKeyDown={(e) => {
        const step = { ArrowUp: [1, 0], ArrowDown: [-1, 0], PageUp: [0, 1], PageDown: [0, -1] }[e.key];
        if (!step) return;
        e.preventDefault();
        let next = shift(readDate(text) || props.max || new Date().toISOString().slice(0, 10), step[0], step[1]);
        if (props.min && next < props.min) next = props.min;
        if (props.max && next > props.max) next = props.max;
        setText(showDate(next));
        setBad(false);
        props.onChange(next);
      }}
      {...describedBy(id, error, hint)}
    />
  );
  if (props.bare) {
    // Its label is the caller's: the hint and any error still reach a screen reader.
    return (
      <>
        {input}
        {error ? (
          <span class="field-error" id={id + '-error'} role="alert">
            {error}
          </span>
        ) : (
          <span class="sr-only" id={id + '-hint'}>
            {hint}
          </span>
        )}
      </>
    );
  }
  return (
    <Field label={props.label} error={error} hint={hint} id={id}>
      {input}
    </Field>
  );
}
