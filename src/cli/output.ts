// The CLI's human output. File names, captions and error messages are someone else's text: a file
// called `ESC]52;c;…BEL.png` would set the clipboard of the terminal that prints it, and
// `ESC[2J` clears the screen. Every line printed for humans goes through escapeControl; JSON
// output needs nothing (JSON.stringify already writes \u001b).

// C0 controls, DEL, C1 controls, and the bidirectional overrides/isolates that make text display
// in an order other than the one it has ("Trojan Source").
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

const NAMED: Record<string, string> = { '\n': '\\n', '\r': '\\r', '\t': '\\t' };

/** `text` with every control character shown as an escape (\x1b, \n, \u202e) instead of acting on the terminal. */
export function escapeControl(text: string): string {
  return text.replace(UNSAFE, (c) => {
    const named = NAMED[c];
    if (named) return named;
    const code = c.charCodeAt(0);
    return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
  });
}

/** Print lines for humans: each line escaped, then joined with newlines. */
export function printLines(stream: NodeJS.WritableStream, lines: string | readonly string[]): void {
  const list = typeof lines === 'string' ? [lines] : lines;
  if (!list.length) return;
  stream.write(`${list.map(escapeControl).join('\n')}\n`);
}

/** A status line redrawn in place on a terminal (\r, clear to end of line); the text is escaped. */
export function statusLine(stream: NodeJS.WriteStream, text: string): void {
  stream.write(`\r\x1b[K${escapeControl(text)}`);
}
