// Tiny DOM helpers: element creation without innerHTML, and CSP-friendly stylesheets.

type Attrs = Record<string, string | number | boolean | undefined | null>;
type Child = Node | string | null | undefined | false;

export function h<K extends keyof HTMLElementTagNameMap>(tag: K, attrs?: Attrs, ...children: Child[]): HTMLElementTagNameMap[K];
export function h(tag: string, attrs?: Attrs, ...children: Child[]): HTMLElement;
export function h(tag: string, attrs: Attrs = {}, ...children: Child[]): HTMLElement {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = String(v);
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  for (const c of children) if (c !== null && c !== undefined && c !== false) el.append(c);
  return el;
}

/**
 * Applies CSS text as a constructed stylesheet. Constructed sheets are not inline <style>
 * elements, so the strict CSP (no 'unsafe-inline') allows them; the same mechanism Lit uses
 * for the vscode-elements components.
 */
export function adoptStyles(...cssTexts: string[]): void {
  const sheets = cssTexts.map((css) => {
    const sheet = new CSSStyleSheet();
    sheet.replaceSync(css);
    return sheet;
  });
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, ...sheets];
}

/** Lit only inserts <style> elements when constructed sheets are unsupported; give them our nonce. */
export function shareNonceWithLit(): void {
  const nonce = (document.currentScript as HTMLScriptElement | null)?.nonce || document.querySelector<HTMLScriptElement>('script[nonce]')?.nonce;
  if (nonce) (window as unknown as { litNonce?: string }).litNonce = nonce;
}

export function debounce<A extends unknown[]>(fn: (...args: A) => void, ms: number): ((...args: A) => void) & { cancel(): void; flush(): void } {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let last: A | undefined;
  const run = (...args: A) => {
    last = args;
    clearTimeout(timer);
    timer = setTimeout(() => {
      timer = undefined;
      fn(...(last as A));
    }, ms);
  };
  run.cancel = () => {
    clearTimeout(timer);
    timer = undefined;
  };
  run.flush = () => {
    if (timer === undefined || !last) return;
    clearTimeout(timer);
    timer = undefined;
    fn(...last);
  };
  return run;
}
