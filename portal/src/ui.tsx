/** DSFR building blocks: fields with their label, hint and error; alerts; loading, empty and "more" states. */

import type { ComponentChildren, VNode } from 'preact';
import { useEffect, useRef } from 'preact/hooks';

import { ApiError, fieldError, messageOf } from './errors';
import { hasNavigated, onLinkClick } from './router';

export function Loading({ what = 'Chargement…' }: { what?: string }) {
  return <p class="fr-text--sm ens-loading" role="status">{what}</p>;
}

export function Empty({ children }: { children: ComponentChildren }) {
  return <p class="ens-empty fr-text--lg">{children}</p>;
}

/** The API's sentence, and each field it named, in a DSFR error alert (announced to screen readers). */
export function ErrorAlert({ error, title }: { error: unknown; title?: string }) {
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (error) ref.current?.focus();
  }, [error]);
  if (!error) return null;
  const fields = error instanceof ApiError ? error.fields : [];
  return (
    <div class="fr-alert fr-alert--error fr-mb-3w" role="alert" tabIndex={-1} ref={ref}>
      <h3 class="fr-alert__title">{title ?? 'Cela n’a pas fonctionné'}</h3>
      <p>{messageOf(error)}</p>
      {fields.length > 0 && (
        <ul>
          {fields.map((f) => <li key={f.field}>{f.field} : {f.message}</li>)}
        </ul>
      )}
    </div>
  );
}

export function Success({ children }: { children: ComponentChildren }) {
  if (!children) return null;
  return (
    <div class="fr-alert fr-alert--success fr-alert--sm fr-mb-3w" role="status">
      <p>{children}</p>
    </div>
  );
}

interface FieldProps {
  id: string;
  label: string;
  hint?: string;
  error?: unknown;
  /** The API's name of this field, to show its problem next to it. */
  name?: string;
  type?: string;
  value: string;
  onInput: (value: string) => void;
  required?: boolean;
  autocomplete?: string;
  inputMode?: 'numeric' | 'text' | 'decimal';
  multiline?: boolean;
  maxLength?: number;
  step?: string;
}

export function Field(props: FieldProps) {
  const problem = props.name ? fieldError(props.error, props.name) : undefined;
  const describedBy = [props.hint ? `${props.id}-hint` : '', problem ? `${props.id}-error` : ''].filter(Boolean).join(' ');
  const common = {
    id: props.id,
    name: props.name ?? props.id,
    class: `fr-input${problem ? ' fr-input--error' : ''}`,
    value: props.value,
    required: props.required,
    autocomplete: props.autocomplete,
    maxLength: props.maxLength,
    'aria-describedby': describedBy || undefined,
    'aria-invalid': problem ? true : undefined,
    onInput: (e: Event) => props.onInput((e.currentTarget as HTMLInputElement).value),
  };
  return (
    <div class={`fr-input-group${problem ? ' fr-input-group--error' : ''}`}>
      <label class="fr-label" for={props.id}>
        {props.label}
        {props.hint && <span class="fr-hint-text" id={`${props.id}-hint`}>{props.hint}</span>}
      </label>
      {props.multiline
        ? <textarea {...common} rows={4} />
        : <input {...common} type={props.type ?? 'text'} inputMode={props.inputMode} step={props.step} />}
      {problem && <p class="fr-error-text" id={`${props.id}-error`}>{problem}</p>}
    </div>
  );
}

interface SelectProps {
  id: string;
  label: string;
  hint?: string;
  value: string;
  onChange: (value: string) => void;
  options: { value: string; label: string }[];
  placeholder?: string;
  required?: boolean;
}

export function Select(props: SelectProps) {
  return (
    <div class="fr-select-group">
      <label class="fr-label" for={props.id}>
        {props.label}
        {props.hint && <span class="fr-hint-text" id={`${props.id}-hint`}>{props.hint}</span>}
      </label>
      <select class="fr-select" id={props.id} name={props.id} value={props.value} required={props.required}
              aria-describedby={props.hint ? `${props.id}-hint` : undefined}
              onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value)}>
        {props.placeholder !== undefined && <option value="">{props.placeholder}</option>}
        {props.options.map((o) => <option key={o.value} value={o.value}>{o.label}</option>)}
      </select>
    </div>
  );
}

export function Checkbox({ id, label, hint, checked, onChange }: {
  id: string; label: string; hint?: string; checked: boolean; onChange: (checked: boolean) => void;
}) {
  return (
    <div class="fr-checkbox-group fr-mb-2w">
      <input type="checkbox" id={id} name={id} checked={checked}
             onChange={(e) => onChange((e.currentTarget as HTMLInputElement).checked)} />
      <label class="fr-label" for={id}>
        {label}
        {hint && <span class="fr-hint-text">{hint}</span>}
      </label>
    </div>
  );
}

export function Submit({ busy, children, secondary }: { busy: boolean; children: ComponentChildren; secondary?: boolean }) {
  return (
    <button type="submit" class={`fr-btn${secondary ? ' fr-btn--secondary' : ''}`} disabled={busy} aria-busy={busy}>
      {children}
    </button>
  );
}

/** The next page of a cursor list. */
export function More({ cursor, loading, onMore, label }: { cursor: string | null; loading: boolean; onMore: () => void; label: string }) {
  if (!cursor) return null;
  return (
    <p class="fr-mt-2w">
      <button type="button" class="fr-btn fr-btn--secondary" disabled={loading} onClick={onMore}>{label}</button>
    </p>
  );
}

/** The page's title: the document title follows it and, after a move inside the portal, focus goes to it (so a
 * screen reader announces the new page; on first load focus stays at the top, before the skip links). */
export function PageTitle({ children, lead }: { children: string; lead?: string }) {
  const ref = useRef<HTMLHeadingElement>(null);
  useEffect(() => {
    document.title = `${children} – Mon Espace Santé`;
    if (hasNavigated()) ref.current?.focus();
  }, [children]);
  return (
    <>
      <h1 tabIndex={-1} ref={ref} class="ens-page-title">{children}</h1>
      {lead && <p class="fr-text--lead">{lead}</p>}
    </>
  );
}

export function Link({ to, children, class: cls }: { to: string; children: ComponentChildren; class?: string }) {
  return (
    <a href={to} class={cls} onClick={(e) => onLinkClick(e, to)}>{children}</a>
  );
}

interface ListState<T> {
  items: T[];
  cursor: string | null;
  loaded: boolean;
  loading: boolean;
  error: unknown;
  more: () => void;
}

/** A cursor-paged list with its four states: loading, error (the API's sentence), empty, and the items with
 * "Afficher plus…" while the API has a next page. */
export function PagedItems<T>({ list, label, empty, loading, more, children }: {
  list: ListState<T>; label: string; empty: ComponentChildren; loading: string; more: string;
  children: (item: T, index: number) => VNode;
}) {
  return (
    <>
      <ErrorAlert error={list.error} />
      {list.loading && !list.loaded && <Loading what={loading} />}
      {list.loaded && list.items.length === 0 && <Empty>{empty}</Empty>}
      {list.items.length > 0 && <ul class="ens-list" aria-label={label}>{list.items.map(children)}</ul>}
      <More cursor={list.cursor} loading={list.loading} onMore={list.more} label={more} />
    </>
  );
}
